/**
 * Every date window of the contract, in one place: the days a refresh for D
 * replaces, the retention cutoff, and the days a backfill chunk covers.
 */
import { addDays } from '../dates.js';
import { TABLES, type TableName } from './registry.js';

export interface DateRange {
  readonly from: string;
  readonly to: string;
}

/** The days the daily refresh for D replaces: [D-(W-1), D] for a rolling window, D alone for a daily snapshot. */
export function refreshRange(table: TableName, refDate: string, windowDays: number): DateRange {
  return TABLES[table].refreshMode === 'rolling-window' ? { from: addDays(refDate, -(windowDays - 1)), to: refDate } : { from: refDate, to: refDate };
}

/** Retention for D keeps rows dated D - R and later. */
export function retentionCutoff(refDate: string, retentionDays: number): string {
  return addDays(refDate, -retentionDays);
}
