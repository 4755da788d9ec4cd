/**
 * Metrics of the deployment as a whole, read from Redis at scrape time (a
 * scrape never queries the warehouse). Exported by the web role only; with
 * several web pods, aggregate with max(), not sum().
 */
import { Gauge, type Registry } from 'prom-client';
import { todayIn, type Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import { asIsoDate, dataLagDays } from '../dates.js';
import { QUEUE_NAMES } from '../queue/jobs.js';
import type { Queues } from '../queue/queues.js';
import type { StateStore } from '../state/store.js';
import { TABLE_NAMES } from '../tables/registry.js';
import { TABLE_STATUSES } from '../tasks/status.js';
import { AUDIT_KINDS, CHECKS } from '../tables/checks.js';

const READ_TIMEOUT_MS = 2000;
const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;

const TABLE_TASKS = ['refresh', 'retention'] as const;

export function registerSharedMetrics(
  registry: Registry,
  deps: { config: Pick<Config, 'scheduleTz' | 'schedulePauseAlertHours'>; queues: Queues; state: StateStore; clock: Clock },
): () => Promise<void> {
  const g = (name: string, help: string, labelNames: string[] = []): Gauge => new Gauge({ name, help, labelNames, registers: [registry] });
  // Gauges without labels cannot be emptied (a reset exports 0): a value that is not known leaves the registry
  // (a timestamp before its first value, and all of them while Redis cannot be read).
  const single = new Map<Gauge, string>();
  const one = (name: string, help: string): Gauge => {
    const gauge = g(name, help);
    single.set(gauge, name);
    return gauge;
  };
  const lastSuccess = g('crm_table_last_success_timestamp_seconds', 'When the last successful refresh of the table finished (0: never).', [
    'table',
  ]);
  const rowsWritten = g('crm_table_rows_written', 'Rows written by the last successful refresh.', ['table']);
  const refreshing = g('crm_table_refresh_in_progress', '1 while a refresh of the table runs.', ['table']);
  const rows = g('crm_table_rows', 'Rows in the table at the last validation.', ['table']);
  const lag = g(
    'crm_table_data_lag_days',
    'Days from the newest date the table holds (written successfully) to today in SCHEDULE_TZ; never negative.',
    ['table'],
  );
  const taskFailed = g(
    'crm_table_task_failed',
    '1 while the newest failed task of this kind for the table has not been followed by a success for the same or a later date.',
    ['task', 'table'],
  );
  const status = g(
    'crm_table_validation_status',
    "1 for the table's status in the validation of the newest reference date, 0 for the others.",
    ['table', 'status'],
  );
  const checkFailures = g(
    'crm_validation_check_failures',
    'Failing units of a consistency check in the validation of the newest reference date (0 = passing).',
    ['check'],
  );
  const lastValidation = one('crm_validation_last_timestamp_seconds', 'When the validation of the newest reference date finished.');
  const inProgress = one('crm_run_in_progress_seconds', 'Age of the oldest unfinished run (0 when none).');
  const nextRun = one('crm_scheduler_next_run_timestamp_seconds', 'Next scheduled tick.');
  const lastEnqueued = one('crm_scheduler_last_enqueued_timestamp_seconds', 'When a run was last planned (dead-man switch).');
  const paused = one('crm_scheduler_paused', '1 while the schedule is paused (crm-materializer schedule pause), 0 otherwise.');
  const pausedAt = one('crm_scheduler_paused_timestamp_seconds', 'When the current pause began (0 when not paused).');
  const pauseAlert = g(
    'crm_scheduler_pause_alert_seconds',
    'A pause longer than this raises CrmSchedulerPaused (SCHEDULE_PAUSE_ALERT_HOURS).',
  );
  pauseAlert.set(deps.config.schedulePauseAlertHours * 3600);
  const jobs = g('crm_queue_jobs', 'Jobs per queue and state.', ['queue', 'state']);
  const workers = g('crm_queue_workers', 'Workers connected to the queue.', ['queue']);
  const anomalies = g('crm_source_anomalies', 'Source anomalies over the whole views, by kind, at the last successful source audit.', [
    'kind',
  ]);
  const lastAudit = one('crm_source_audit_last_success_timestamp_seconds', 'When the last successful source audit finished (0: never).');
  const up = g(
    'crm_shared_state_up',
    '1 when this scrape could read the recorded state from Redis; 0 when not (the other shared metrics are then absent).',
  );
  const fromState = [
    lastSuccess,
    rowsWritten,
    refreshing,
    rows,
    lag,
    taskFailed,
    status,
    checkFailures,
    lastValidation,
    inProgress,
    nextRun,
    lastEnqueued,
    paused,
    pausedAt,
    jobs,
    workers,
    anomalies,
    lastAudit,
  ];
  const known = new Set<Gauge>();
  const setKnown = (gauge: Gauge, value: number | undefined): void => {
    if (value === undefined) known.delete(gauge);
    else {
      gauge.set(value);
      known.add(gauge);
    }
  };
  const exportSingle = (): void => {
    for (const [gauge, name] of single) {
      const registered = registry.getSingleMetric(name) !== undefined;
      if (known.has(gauge) && !registered) registry.registerMetric(gauge);
      else if (!known.has(gauge) && registered) registry.removeSingleMetric(name);
    }
  };

  const read = async (): Promise<void> => {
    const [tables, validation, oldest, scheduler, audit, pause] = await Promise.all([
      deps.state.tables(TABLE_NAMES),
      deps.state.currentValidation(),
      deps.state.oldestActiveRun(),
      deps.state.scheduler(),
      deps.state.lastAudit(),
      deps.state.schedulePause(),
    ]);
    const today = todayIn(deps.clock, deps.config.scheduleTz);
    if (audit) {
      for (const kind of AUDIT_KINDS) anomalies.set({ kind }, audit.anomalies[kind]);
      setKnown(lastAudit, Date.parse(audit.at) / 1000);
    } else setKnown(lastAudit, 0);
    for (const table of TABLE_NAMES) {
      const h = tables[table] ?? {};
      lastSuccess.set({ table }, h.last_success_ts ? Number(h.last_success_ts) / 1000 : 0);
      rowsWritten.set({ table }, Number(h.rows_written ?? 0));
      refreshing.set({ table }, Number(h.refresh_active ?? 0) > 0 ? 1 : 0);
      for (const task of TABLE_TASKS) taskFailed.set({ task, table }, h[`failed_${task}`] ? 1 : 0);
      const latest = asIsoDate(h.latest_date);
      if (latest) lag.set({ table }, dataLagDays(latest, today));
      else lag.remove({ table });
    }
    if (validation) {
      // Only what the current report says: a table or check it left out must not keep an older value.
      for (const gauge of [rows, status, checkFailures]) gauge.reset();
      for (const t of validation.report.tables) {
        rows.set({ table: t.tabela }, t.registros);
        for (const s of TABLE_STATUSES) status.set({ table: t.tabela, status: s }, t.status === s ? 1 : 0);
      }
      for (const c of CHECKS) checkFailures.set({ check: c.name }, validation.report.checks.find((r) => r.name === c.name)?.falhas ?? 0);
      setKnown(lastValidation, validation.at / 1000);
    }
    if (!validation) setKnown(lastValidation, undefined);
    setKnown(inProgress, oldest === undefined ? 0 : Math.max(0, (deps.clock.now().getTime() - oldest) / 1000));
    setKnown(nextRun, scheduler.nextRunAt === undefined ? undefined : scheduler.nextRunAt / 1000);
    setKnown(lastEnqueued, scheduler.lastEnqueuedAt === undefined ? undefined : scheduler.lastEnqueuedAt / 1000);
    setKnown(paused, pause ? 1 : 0);
    setKnown(pausedAt, pause ? pause.at / 1000 : 0);
    await Promise.all(
      QUEUE_NAMES.map(async (q) => {
        const [counts, count] = await Promise.all([deps.queues[q].getJobCounts(...STATES), deps.queues[q].getWorkersCount()]);
        for (const s of STATES) jobs.set({ queue: q, state: s }, counts[s] ?? 0);
        workers.set({ queue: q }, count);
      }),
    );
  };

  return async () => {
    try {
      // Commands wait for a reconnect while Redis is away: a scrape must not.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('Redis did not answer')), READ_TIMEOUT_MS);
      });
      await Promise.race([read(), timeout]).finally(() => clearTimeout(timer));
      exportSingle();
      up.set(1);
    } catch {
      // The process's own metrics still go out; stale shared values must not.
      for (const gauge of fromState) gauge.reset();
      known.clear();
      exportSingle();
      up.set(0);
    }
  };
}
