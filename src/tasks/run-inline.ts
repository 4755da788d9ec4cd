/**
 * A run for one reference date, in this process: refresh → retention →
 * validation. A failing table does not stop the others; validation always
 * runs last and reports what failed. A derived table (priorities, from the
 * snapshot) is refreshed after its source table.
 */
import type { Config } from '../config/index.js';
import { toError } from '../errors.js';
import { TABLE_NAMES, derivedFrom, refreshOrder, type TableName } from '../tables/registry.js';
import { systemClock, type Clock } from '../clock.js';
import type { TaskContext } from './context.js';
import type { RunRecorder, TableTask } from './recorder.js';
import { refreshTable, type RefreshResult } from './refresh.js';
import { refreshRange } from '../tables/windows.js';
import { applyRetention } from './retention.js';
import { checkSources } from './sources.js';
import { validate, type ValidationReport } from './validation.js';
import type { IsoDate } from '../dates.js';

export const TASK_KINDS = ['refresh', 'retention', 'validation'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export interface RunRequest {
  readonly date: IsoDate;
  readonly tables: readonly TableName[];
  readonly tasks: readonly TaskKind[];
  /** `--accept-anomaly`: publish refreshed days the publish guard would hold. */
  readonly acceptAnomaly?: boolean;
}

export interface TaskOutcome {
  readonly task: TaskKind;
  readonly table: TableName | 'all';
  readonly ok: boolean;
  /** Rows written (refresh) or deleted (retention). */
  readonly rows: number | null;
  readonly seconds: number;
  readonly error?: string;
}

export interface RunSummary {
  readonly date: IsoDate;
  readonly outcomes: readonly TaskOutcome[];
  readonly validation: ValidationReport | undefined;
  /** Every task succeeded, checks passed and no table is critical. */
  readonly ok: boolean;
}

export interface InlineOptions {
  /** Where the outcomes are recorded as a queued run records them (freshness, metrics, cache); none when Redis is unreachable. */
  readonly recorder?: RunRecorder;
  readonly clock?: Clock;
}

export async function runInline(ctx: TaskContext, config: Config, req: RunRequest, opts: InlineOptions = {}): Promise<RunSummary> {
  const { date, tasks } = req;
  // A derived table is refreshed after the table it is computed from, which the run then includes.
  const ordered = tasks.includes('refresh') ? refreshOrder(req.tables) : [...req.tables];
  const tables = TABLE_NAMES.filter((t) => ordered.includes(t));
  const { recorder } = opts;
  const clock = opts.clock ?? systemClock;
  const plannedAt = clock.now().getTime();
  const runId = `inline-${date}`;
  const outcomes: TaskOutcome[] = [];
  // The anomalies the snapshot's refresh counted among the actions it read for D.
  let counted: RefreshResult['anomalies'];
  const attempt = async (
    task: TaskKind,
    table: TableName | 'all',
    fn: (c: TaskContext) => Promise<{ rows: number | null; seconds: number }>,
  ): Promise<void> => {
    const started = performance.now();
    // Tagged like a queued task, so the warehouse's query history attributes inline runs too.
    const tagged: TaskContext = { ...ctx, tag: { task, ...(table === 'all' ? {} : { table }), date, runId } };
    let outcome: TaskOutcome;
    try {
      const { rows, seconds } = await fn(tagged);
      outcome = { task, table, ok: true, rows, seconds };
    } catch (e) {
      const error = toError(e).message;
      ctx.log.error({ task, table, date, err: e }, 'task failed');
      outcome = { task, table, ok: false, rows: null, seconds: Math.round(performance.now() - started) / 1000, error };
    }
    outcomes.push(outcome);
    if (recorder && table !== 'all' && task !== 'validation')
      await recorder.recordTask(table, task, tableRecord(task, outcome, date, runId, clock));
  };

  // A missing view stops the run before anything is created or changed.
  if (tasks.includes('refresh')) await checkSources(ctx, tables);
  for (const s of ctx.sql.init(tables)) await ctx.warehouse.execute(s, { signal: ctx.signal });
  if (tasks.includes('refresh')) {
    for (const table of ordered) {
      const from = derivedFrom(table);
      await attempt('refresh', table, async (c) => {
        if (from && outcomes.some((o) => o.task === 'refresh' && o.table === from && !o.ok)) {
          throw new Error(`not refreshed: it is computed from ${from}, whose refresh failed`);
        }
        const guard = { minRatio: config.publishMinRatio, accept: req.acceptAnomaly ?? false };
        const r = await refreshTable(c, table, refreshRange(table, date, config.refreshWindowDays), clock.now(), guard);
        counted = r.anomalies ?? counted;
        return { rows: r.rowsWritten, seconds: r.seconds };
      });
    }
  }
  if (tasks.includes('retention')) {
    for (const table of tables) {
      await attempt('retention', table, async (c) => {
        const r = await applyRetention(c, table, date, config.retentionDays[table], { timeZone: config.scheduleTz });
        return { rows: r.rowsDeleted, seconds: r.seconds };
      });
    }
  }
  let validation: ValidationReport | undefined;
  if (tasks.includes('validation')) {
    await attempt('validation', 'all', async (c) => {
      validation = await validate(c, date, tables, config.refreshWindowDays, clock.now(), counted);
      await recorder?.recordValidation(validation, clock.now().getTime());
      if (!validation.checksPassed)
        throw new Error(
          `consistency checks failed: ${validation.checks
            .filter((c) => c.falhas > 0)
            .map((c) => c.name)
            .join(', ')}`,
        );
      return { rows: null, seconds: validation.seconds };
    });
  }
  const ok = outcomes.every((o) => o.ok) && (validation === undefined || validation.worstStatus !== 'critical');
  const failed = outcomes.filter((o) => !o.ok).map((o) => `${o.task} ${o.table}: ${o.error ?? 'failed'}`);
  await recorder?.recordInlineRun({
    runId,
    date,
    plannedAt,
    finishedAt: clock.now().getTime(),
    outcome: ok ? 'success' : 'failure',
    failed,
  });
  return { date, outcomes, validation, ok };
}

function tableRecord(
  task: TableTask,
  o: TaskOutcome,
  date: IsoDate,
  runId: string,
  clock: Clock,
): Parameters<RunRecorder['recordTask']>[2] {
  const base = { date, runId, seconds: o.seconds, finishedAt: clock.now().getTime() };
  if (!o.ok) return { ...base, outcome: 'failure', rowsWritten: null, error: o.error };
  return task === 'refresh'
    ? { ...base, outcome: 'success', rowsWritten: o.rows }
    : { ...base, outcome: 'success', rowsWritten: null, rowsDeleted: o.rows ?? 0 };
}
