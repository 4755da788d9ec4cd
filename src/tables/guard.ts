/** The publish guard's date windows and its two reads (tasks/publish-guard.ts decides with them). */
import { addDays } from '../dates.js';
import type { Statement } from '../warehouse/types.js';
import { TABLES, type TableName } from './registry.js';
import type { SqlBuilder } from './statements.js';
import type { DateRange } from './windows.js';

/** The trailing window the median is taken over (one point per earlier day). */
export const GUARD_DAYS = 7;
/** The guard's two reads for a refresh of `range`: the published history before D, and the candidate measure. */
export function guardStatements(
  sql: SqlBuilder,
  table: TableName,
  range: DateRange,
  writtenAt: Date,
): { history: Statement; candidate: Statement } {
  const { spanDays } = TABLES[table].publishGuard;
  return {
    history: sql.publishHistory(table, addDays(range.to, -GUARD_DAYS - (spanDays - 1)), addDays(range.to, -1)),
    candidate: sql.publishCandidate(table, range, addDays(range.to, -(spanDays - 1)), writtenAt),
  };
}
