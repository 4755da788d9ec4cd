/**
 * `status`: what an operator asks first. Reads Redis only, never the warehouse. Exit 1 when the
 * latest run failed or a table is critical.
 */
import { systemClock, todayIn, type Clock } from '../clock.js';
import { asIsoDate, dataLagDays } from '../dates.js';
import { nextFireTimes, SCHEDULER_ID } from '../producer/scheduler.js';
import { QUEUE_NAMES } from '../queue/jobs.js';
import { TABLE_NAMES } from '../tables/registry.js';
import type { TableRecord } from '../state/store.js';
import { formatInstant, isoInstant, outputWidth, textTable, truncate } from '../text-table.js';
import type { QueueClient } from './queue-client.js';

export interface StatusReport {
  readonly schedule: {
    cron: string;
    tz: string;
    registered: boolean;
    next: string[];
    lastEnqueuedAt: string | null;
    /** Set while the schedule is paused (`schedule pause`). */
    paused: { since: string; by: string; reason: string | null } | null;
  };
  /** The newest run of every table (the daily run of the newest date, or its latest forced re-run). */
  readonly latestRun: {
    runId: string;
    date: string;
    outcome: 'success' | 'failure' | 'running';
    finishedAt: string | null;
    failed: readonly string[];
  } | null;
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
  const [scheduler, recorded, tables, oldest, validation, pause, latest] = await Promise.all([
    queues.schedule.getJobScheduler(SCHEDULER_ID),
    state.scheduler(),
    state.tables(TABLE_NAMES),
    state.oldestActiveRun(),
    state.currentValidation(),
    state.schedulePause(),
    state.latestFullRun(),
  ]);
  const today = todayIn(clock, config.scheduleTz);
  // Instants in SCHEDULE_TZ with their offset (RFC 3339), as the text output shows them.
  const iso = (ms: string | number | undefined): string | null =>
    ms === undefined || ms === '' ? null : isoInstant(Number(ms), config.scheduleTz);
  const counts: Record<string, Record<string, number>> = {};
  const failed: StatusReport['failed'] = [];
  for (const name of QUEUE_NAMES) {
    const [jobCounts, workers] = await Promise.all([
      queues[name].getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'),
      queues[name].getWorkersCount(),
    ]);
    counts[name] = { workers, ...jobCounts };
    for (const job of await queues[name].getFailed(0, 9)) {
      failed.push({ queue: name, id: job.id ?? '?', failedReason: job.failedReason, finishedOn: iso(job.finishedOn) });
    }
  }
  return {
    schedule: {
      cron: config.scheduleCron,
      tz: config.scheduleTz,
      registered: scheduler !== undefined,
      next: nextFireTimes(config, 3, clock.now()).map((d) => isoInstant(d, config.scheduleTz)),
      lastEnqueuedAt: iso(recorded.lastEnqueuedAt),
      paused: pause ? { since: iso(pause.at) ?? '', by: pause.by, reason: pause.reason ?? null } : null,
    },
    latestRun: latest
      ? {
          runId: latest.runId,
          date: latest.date,
          outcome: latest.outcome ?? 'running',
          finishedAt: iso(latest.finishedAt),
          failed: latest.failed ?? [],
        }
      : null,
    tables: TABLE_NAMES.map((t) => {
      const latestDate = asIsoDate(tables[t]?.latest_date);
      return {
        table: t,
        lastRefresh: tables[t]?.last_refresh ? (JSON.parse(tables[t].last_refresh) as TableRecord) : null,
        lastSuccessAt: iso(tables[t]?.last_success_ts),
        latestDate,
        dataLagDays: latestDate === null ? null : dataLagDays(latestDate, today),
        status: validation?.report.tables.find((v) => v.tabela === t)?.status ?? 'unknown',
      };
    }),
    runInProgressSince: iso(oldest),
    queues: counts,
    failed,
  };
}

/** 1 when the latest run of every table failed or a table is critical, else 0. */
export function statusExitCode(r: StatusReport): number {
  return r.latestRun?.outcome === 'failure' || r.tables.some((t) => t.status === 'critical') ? 1 : 0;
}

/** Print the report (times in SCHEDULE_TZ with their offset, lines cut to `width`); returns the exit code. */
export async function printStatus(c: QueueClient, out: (t: string) => void, json: boolean, width = outputWidth()): Promise<number> {
  const r = await statusReport(c);
  if (json) {
    out(JSON.stringify(r, null, 2));
    return statusExitCode(r);
  }
  const tz = r.schedule.tz;
  const at = (v: string | number | null | undefined): string => (v === null || v === undefined ? '-' : formatInstant(new Date(v), tz));
  const line = (text: string): void => out(truncate(text, width));
  const p = r.schedule.paused;
  line(`schedule: '${r.schedule.cron}' in ${tz}${r.schedule.registered ? '' : ' (not registered yet: start the scheduler role)'}`);
  if (p)
    line(
      `PAUSED since ${at(p.since)} by ${p.by}${p.reason ? `: ${p.reason}` : ''} ` +
        "(no run is planned; 'crm-materializer schedule resume' resumes)",
    );
  line(`next ticks${p ? ' (skipped while paused)' : ''}: ${r.schedule.next.map((n) => at(n)).join(', ')}`);
  line(
    `last run planned: ${r.schedule.lastEnqueuedAt ? at(r.schedule.lastEnqueuedAt) : 'never'}; run in ` +
      `progress since: ${at(r.runInProgressSince)}`,
  );
  const lr = r.latestRun;
  line(
    lr
      ? `latest run: ${lr.runId} (D ${lr.date}) ${lr.outcome}${lr.finishedAt ? ` at ${at(lr.finishedAt)}` : ''}` +
          (lr.failed.length ? `: ${lr.failed.join('; ')}` : '')
      : 'latest run: none yet',
  );
  out('');
  out(
    textTable(
      ['table', 'latest date', 'lag', 'status', 'last D', 'outcome', 'seconds', 'rows', 'finished'],
      r.tables.map((t) => {
        const last = t.lastRefresh;
        return [
          t.table,
          t.latestDate,
          t.dataLagDays,
          t.status,
          last?.date,
          last?.outcome,
          last ? last.seconds.toFixed(1) : null,
          last?.rowsWritten,
          last ? formatInstant(last.finishedAt, tz, true) : null,
        ];
      }),
      width,
    ),
  );
  const states = ['workers', 'waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'];
  out(
    `\n${textTable(
      ['queue', ...states],
      Object.entries(r.queues).map(([q, counts]) => [q, ...states.map((s) => counts[s] ?? 0)]),
      width,
    )}`,
  );
  if (r.failed.length > 0)
    out(
      `\nfailed jobs (retry them on the board):\n${textTable(
        ['queue', 'job', 'failed at', 'error'],
        r.failed.map((f) => [f.queue, f.id, at(f.finishedOn), f.failedReason]),
        width,
      )}`,
    );
  return statusExitCode(r);
}
