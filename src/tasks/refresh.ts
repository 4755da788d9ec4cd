/** Refresh: atomically replace a table's rows for a date range with a recomputation from the sources. */
import type { TableName } from '../tables/registry.js';
import type { DateRange } from '../tables/windows.js';
import { elapsedSeconds, type TaskContext } from './context.js';
import { guardedReplace, type PublishGuard } from './publish-guard.js';

export interface RefreshResult {
  readonly table: TableName;
  readonly range: DateRange;
  readonly rowsWritten: number;
  readonly seconds: number;
}


/** Without a guard given, the day is published unchecked (tests, the demo). */
const UNGUARDED: PublishGuard = { minRatio: 0, accept: true };

export async function refreshTable(ctx: TaskContext, table: TableName, range: DateRange, writtenAt = new Date(), guard: PublishGuard = UNGUARDED): Promise<RefreshResult> {
  const started = performance.now();
  const statements = ctx.sql.refresh(table, range, writtenAt);
  await ctx.progress?.(`refresh ${table} ${range.from}..${range.to}: replacing rows (${statements.length} statement(s))`);
  const { rowsAffected } = await guardedReplace(ctx, table, range, statements, guard, writtenAt);
  for (const s of ctx.sql.afterRefresh(table)) await ctx.warehouse.execute(s, { signal: ctx.signal, tag: ctx.tag });
  const rowsWritten = rowsAffected ?? 0;
  const seconds = elapsedSeconds(started);
  await ctx.progress?.(`refresh ${table}: ${rowsWritten} rows written in ${seconds}s`);
  ctx.log.info({ table, range, rowsWritten, seconds }, 'refresh done');
  return { table, range, rowsWritten, seconds };
}
