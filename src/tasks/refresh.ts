/** Refresh: atomically replace a table's rows for a date range with a recomputation from the sources. */
import { ANOMALIES, type AnomalyName } from '../tables/checks.js';
import type { TableName } from '../tables/registry.js';
import type { DateRange } from '../tables/windows.js';
import { elapsedSeconds, type TaskContext } from './context.js';
import { guardedReplace, type PublishGuard } from './publish-guard.js';

export interface RefreshResult {
  readonly table: TableName;
  readonly range: DateRange;
  readonly rowsWritten: number;
  readonly seconds: number;
  /** Source anomalies among the rows this refresh read (tables that read the actions), for the run's validation. */
  readonly anomalies?: Readonly<Record<AnomalyName, number>>;
}

/** Without a guard given, the day is published unchecked (tests, the demo). */
const UNGUARDED: PublishGuard = { minRatio: 0, accept: true };

export async function refreshTable(
  ctx: TaskContext,
  table: TableName,
  range: DateRange,
  writtenAt = new Date(),
  guard: PublishGuard = UNGUARDED,
): Promise<RefreshResult> {
  const started = performance.now();
  const opts = { signal: ctx.signal, tag: ctx.tag };
  const statements = ctx.sql.refresh(table, range, writtenAt);
  await ctx.progress?.(`refresh ${table} ${range.from}..${range.to}: replacing rows (${statements.length} statement(s))`);
  let result: Awaited<ReturnType<typeof guardedReplace>>;
  try {
    for (const s of ctx.sql.stage(table, range)) await ctx.warehouse.execute(s, opts);
    result = await guardedReplace(ctx, table, range, statements, guard, writtenAt, ctx.sql.stagedAnomalies(table, range));
  } finally {
    // Best effort: a session that is gone took its stage with it.
    for (const s of ctx.sql.unstage(table, range)) await ctx.warehouse.execute(s, { tag: ctx.tag }).catch(() => undefined);
  }
  for (const s of ctx.sql.afterRefresh(table)) await ctx.warehouse.execute(s, opts);
  const rowsWritten = result.rowsAffected ?? 0;
  const [counted] = result.alsoRead ?? [];
  const anomalies = counted
    ? (Object.fromEntries(ANOMALIES.map((a) => [a, Number(counted[a] ?? 0)])) as Record<AnomalyName, number>)
    : undefined;
  const seconds = elapsedSeconds(started);
  await ctx.progress?.(`refresh ${table}: ${rowsWritten} rows written in ${seconds}s`);
  ctx.log.info({ table, range, rowsWritten, seconds, ...(anomalies ? { anomalies } : {}) }, 'refresh done');
  return { table, range, rowsWritten, seconds, ...(anomalies ? { anomalies } : {}) };
}
