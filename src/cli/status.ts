/** `status`: what an operator asks first. Reads Redis only, never the warehouse. */
import { nextFireTimes, SCHEDULER_ID } from '../producer/scheduler.js';
import { QUEUE_NAMES } from '../queue/jobs.js';
import { TABLE_NAMES } from '../tables/registry.js';
import type { TableRecord } from '../state/store.js';
import { textTable } from './format.js';
import type { QueueClient } from './queue-client.js';

export interface StatusReport {
  readonly schedule: { cron: string; tz: string; registered: boolean; next: string[]; lastEnqueuedAt: string | null };
  readonly tables: { table: string; lastRefresh: TableRecord | null; lastSuccessAt: string | null }[];
  readonly runInProgressSince: string | null;
  readonly queues: Record<string, Record<string, number>>;
  readonly failed: { queue: string; id: string; failedReason: string; finishedOn: string | null }[];
}

export async function statusReport(c: QueueClient): Promise<StatusReport> {
  const { config, state, queues } = c;
  const [scheduler, recorded, tables, oldest] = await Promise.all([
    queues.schedule.getJobScheduler(SCHEDULER_ID),
    state.scheduler(),
    state.tables(TABLE_NAMES),
    state.oldestActiveRun(),
  ]);
  const counts: Record<string, Record<string, number>> = {};
  const failed: StatusReport['failed'] = [];
  for (const name of QUEUE_NAMES) {
    counts[name] = await queues[name].getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed');
    for (const job of await queues[name].getFailed(0, 9)) {
      failed.push({ queue: name, id: job.id ?? '?', failedReason: job.failedReason, finishedOn: job.finishedOn ? new Date(job.finishedOn).toISOString() : null });
    }
  }
  const iso = (ms: string | number | undefined): string | null => (ms === undefined || ms === '' ? null : new Date(Number(ms)).toISOString());
  return {
    schedule: {
      cron: config.scheduleCron,
      tz: config.scheduleTz,
      registered: scheduler !== undefined,
      next: nextFireTimes(config).map((d) => d.toISOString()),
      lastEnqueuedAt: iso(recorded.lastEnqueuedAt),
    },
    tables: TABLE_NAMES.map((t) => ({
      table: t,
      lastRefresh: tables[t]?.last_refresh ? (JSON.parse(tables[t].last_refresh) as TableRecord) : null,
      lastSuccessAt: iso(tables[t]?.last_success_ts),
    })),
    runInProgressSince: iso(oldest),
    queues: counts,
    failed,
  };
}

export async function printStatus(c: QueueClient, out: (t: string) => void, json: boolean): Promise<void> {
  const r = await statusReport(c);
  if (json) return out(JSON.stringify(r, null, 2));
  out(`schedule: '${r.schedule.cron}' in ${r.schedule.tz}${r.schedule.registered ? '' : ' (not registered yet: start the scheduler role)'}`);
  out(`next runs: ${r.schedule.next.join(', ')}`);
  out(`last run planned: ${r.schedule.lastEnqueuedAt ?? 'never'}; run in progress since: ${r.runInProgressSince ?? '-'}\n`);
  out(
    textTable(
      ['table', 'last D', 'outcome', 'seconds', 'rows', 'finished', 'last success'],
      r.tables.map((t) => [t.table, t.lastRefresh?.date, t.lastRefresh?.outcome, t.lastRefresh?.seconds, t.lastRefresh?.rowsWritten, t.lastRefresh ? new Date(t.lastRefresh.finishedAt).toISOString() : null, t.lastSuccessAt]),
    ),
  );
  const states = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'];
  out(`\n${textTable(['queue', ...states], Object.entries(r.queues).map(([q, counts]) => [q, ...states.map((s) => counts[s] ?? 0)]))}`);
  if (r.failed.length > 0) out(`\nfailed jobs (retry them on the board):\n${textTable(['queue', 'job', 'failed at', 'error'], r.failed.map((f) => [f.queue, f.id, f.finishedOn, f.failedReason]))}`);
}
