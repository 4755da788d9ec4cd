/** `status`: what an operator asks first. Reads Redis only, never the warehouse. */
import { systemClock, todayIn, type Clock } from '../clock.js';
import { dataLagDays } from '../dates.js';
import { nextFireTimes, SCHEDULER_ID } from '../producer/scheduler.js';
import { QUEUE_NAMES } from '../queue/jobs.js';
import { TABLE_NAMES } from '../tables/registry.js';
import type { TableRecord } from '../state/store.js';
import { textTable } from '../text-table.js';
import type { QueueClient } from './queue-client.js';

export interface StatusReport {
  readonly schedule: { cron: string; tz: string; registered: boolean; next: string[]; lastEnqueuedAt: string | null };
  readonly tables: {
    table: string;
    lastRefresh: TableRecord | null;
    lastSuccessAt: string | null;
    /** The newest date the table holds that was written successfully, and its lag to today (SCHEDULE_TZ). */
    latestDate: string | null;
    dataLagDays: number | null;
    /** In the validation of the newest reference date. */
    status: string;
  }[];
  readonly runInProgressSince: string | null;
  readonly queues: Record<string, Record<string, number>>;
  readonly failed: { queue: string; id: string; failedReason: string; finishedOn: string | null }[];
}

export async function statusReport(c: QueueClient, clock: Clock = systemClock): Promise<StatusReport> {
  const { config, state, queues } = c;
  const [scheduler, recorded, tables, oldest, validation] = await Promise.all([
    queues.schedule.getJobScheduler(SCHEDULER_ID),
    state.scheduler(),
    state.tables(TABLE_NAMES),
    state.oldestActiveRun(),
    state.currentValidation(),
  ]);
  const today = todayIn(clock, config.scheduleTz);
  const counts: Record<string, Record<string, number>> = {};
  const failed: StatusReport['failed'] = [];
  for (const name of QUEUE_NAMES) {
    const [jobCounts, workers] = await Promise.all([
      queues[name].getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'),
      queues[name].getWorkersCount(),
    ]);
    counts[name] = { workers, ...jobCounts };
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
      next: nextFireTimes(config, 3, clock.now()).map((d) => d.toISOString()),
      lastEnqueuedAt: iso(recorded.lastEnqueuedAt),
    },
    tables: TABLE_NAMES.map((t) => {
      const latest = tables[t]?.latest_date ?? null;
      return {
        table: t,
        lastRefresh: tables[t]?.last_refresh ? (JSON.parse(tables[t].last_refresh) as TableRecord) : null,
        lastSuccessAt: iso(tables[t]?.last_success_ts),
        latestDate: latest,
        dataLagDays: latest === null ? null : dataLagDays(latest, today),
        status: validation?.report.tables.find((v) => v.tabela === t)?.status ?? 'unknown',
      };
    }),
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
      ['table', 'latest date', 'lag', 'status', 'last D', 'outcome', 'seconds', 'rows', 'finished'],
      r.tables.map((t) => [t.table, t.latestDate, t.dataLagDays, t.status, t.lastRefresh?.date, t.lastRefresh?.outcome, t.lastRefresh?.seconds, t.lastRefresh?.rowsWritten, t.lastRefresh ? new Date(t.lastRefresh.finishedAt).toISOString() : null]),
    ),
  );
  const states = ['workers', 'waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'];
  out(`\n${textTable(['queue', ...states], Object.entries(r.queues).map(([q, counts]) => [q, ...states.map((s) => counts[s] ?? 0)]))}`);
  if (r.failed.length > 0) out(`\nfailed jobs (retry them on the board):\n${textTable(['queue', 'job', 'failed at', 'error'], r.failed.map((f) => [f.queue, f.id, f.finishedOn, f.failedReason]))}`);
}
