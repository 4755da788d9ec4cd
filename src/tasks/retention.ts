/**
 * Retention: delete rows dated before D - R days (D - R itself stays). For a
 * D after today (plus the tolerance; only reachable with --allow-future) it
 * deletes nothing: a mistyped future date must never empty the tables.
 */
import { futureDateProblem, type IsoDate } from '../dates.js';
import { retentionCutoff } from '../tables/windows.js';
import type { TableName } from '../tables/registry.js';
import { elapsedSeconds, type TaskContext } from './context.js';

export interface RetentionResult {
  readonly table: TableName;
  readonly cutoff: string;
  readonly rowsDeleted: number;
  readonly seconds: number;
  /** Why nothing was deleted, when retention was skipped. */
  readonly skipped?: string;
}

export interface RetentionClock {
  /** SCHEDULE_TZ: "today" for the future-date bound. */
  readonly timeZone: string;
  readonly now?: Date;
}

export async function applyRetention(
  ctx: TaskContext,
  table: TableName,
  refDate: IsoDate,
  retentionDays: number,
  clock: RetentionClock,
): Promise<RetentionResult> {
  const started = performance.now();
  const cutoff = retentionCutoff(refDate, retentionDays);
  const future = futureDateProblem(refDate, clock.timeZone, clock.now ?? new Date());
  if (future !== undefined) {
    const skipped = `reference date ${future}: retention deletes nothing for it`;
    await ctx.progress?.(`retention ${table}: ${skipped}`);
    ctx.log.warn({ table, date: refDate }, `retention skipped: ${skipped}`);
    return { table, cutoff, rowsDeleted: 0, seconds: elapsedSeconds(started), skipped };
  }
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
