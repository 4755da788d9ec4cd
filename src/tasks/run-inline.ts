/**
 * A run for one reference date, in this process: refresh → retention →
 * validation. A failing table does not stop the others; validation always
 * runs last and reports what failed.
 */
import type { Config } from '../config/index.js';
import { toError } from '../errors.js';
import type { TableName } from '../tables/registry.js';
import type { TaskContext } from './context.js';
import { refreshRange, refreshTable } from './refresh.js';
import { applyRetention } from './retention.js';
import { checkSources } from './sources.js';
import { validate, type ValidationReport } from './validation.js';

export const TASK_KINDS = ['refresh', 'retention', 'validation'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export interface RunRequest {
  readonly date: string;
  readonly tables: readonly TableName[];
  readonly tasks: readonly TaskKind[];
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
  readonly date: string;
  readonly outcomes: readonly TaskOutcome[];
  readonly validation: ValidationReport | undefined;
  /** Every task succeeded, checks passed and no table is critical. */
  readonly ok: boolean;
}

export async function runInline(ctx: TaskContext, config: Config, req: RunRequest): Promise<RunSummary> {
  const { date, tables, tasks } = req;
  const outcomes: TaskOutcome[] = [];
  const attempt = async (task: TaskKind, table: TableName | 'all', fn: (c: TaskContext) => Promise<{ rows: number | null; seconds: number }>): Promise<void> => {
    const started = performance.now();
    // Tagged like a queued task, so the warehouse's query history attributes inline runs too.
    const tagged: TaskContext = { ...ctx, tag: { task, ...(table === 'all' ? {} : { table }), date, runId: `inline-${date}` } };
    try {
      const { rows, seconds } = await fn(tagged);
      outcomes.push({ task, table, ok: true, rows, seconds });
    } catch (e) {
      const error = toError(e).message;
      ctx.log.error({ task, table, date, err: e }, 'task failed');
      outcomes.push({ task, table, ok: false, rows: null, seconds: Math.round(performance.now() - started) / 1000, error });
    }
  };

  // A missing view stops the run before anything is created or changed.
  if (tasks.includes('refresh')) await checkSources(ctx, tables);
  for (const s of ctx.sql.init(tables)) await ctx.warehouse.execute(s, { signal: ctx.signal });
  if (tasks.includes('refresh')) {
    for (const table of tables) {
      await attempt('refresh', table, async (c) => {
        const r = await refreshTable(c, table, refreshRange(table, date, config.refreshWindowDays));
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
      validation = await validate(c, date, tables, config.refreshWindowDays);
      if (!validation.checksPassed) throw new Error(`consistency checks failed: ${validation.checks.filter((c) => c.falhas > 0).map((c) => c.name).join(', ')}`);
      return { rows: null, seconds: validation.seconds };
    });
  }
  const ok = outcomes.every((o) => o.ok) && (validation === undefined || validation.worstStatus !== 'critical');
  return { date, outcomes, validation, ok };
}
