/** Retention: delete rows dated before D - R days (D - R itself stays). */
import { retentionCutoff } from '../tables/windows.js';
import type { TableName } from '../tables/registry.js';
import { elapsedSeconds, type TaskContext } from './context.js';

export interface RetentionResult {
  readonly table: TableName;
  readonly cutoff: string;
  readonly rowsDeleted: number;
  readonly seconds: number;
}

export async function applyRetention(ctx: TaskContext, table: TableName, refDate: string, retentionDays: number): Promise<RetentionResult> {
  const started = performance.now();
  const cutoff = retentionCutoff(refDate, retentionDays);
  const [del, ...after] = ctx.sql.retention(table, cutoff);
  await ctx.progress?.(`retention ${table}: deleting rows before ${cutoff}`);
  const { rowsAffected } = await ctx.warehouse.execute(del!, { signal: ctx.signal, tag: ctx.tag });
  for (const s of after) await ctx.warehouse.execute(s, { signal: ctx.signal, tag: ctx.tag });
  const seconds = elapsedSeconds(started);
  const rowsDeleted = rowsAffected ?? 0;
  await ctx.progress?.(`retention ${table}: ${rowsDeleted} rows deleted in ${seconds}s`);
  ctx.log.info({ table, cutoff, rowsDeleted, seconds }, 'retention done');
  return { table, cutoff, rowsDeleted, seconds };
}
