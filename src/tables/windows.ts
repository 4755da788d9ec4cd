/**
 * Every date window of the contract, in one place: the days a refresh for D
 * replaces, the retention cutoff, and the days a backfill chunk covers.
 */
import { addDays, type IsoDate } from '../dates.js';
import { TABLES, type TableName } from './registry.js';

export interface DateRange {
  readonly from: IsoDate;
  readonly to: IsoDate;
}

/** The days the daily refresh for D replaces: [D-(W-1), D] for a rolling window, D alone for a daily snapshot. */
export function refreshRange(table: TableName, refDate: IsoDate, windowDays: number): DateRange {
  return TABLES[table].refreshMode === 'rolling-window'
    ? { from: addDays(refDate, -(windowDays - 1)), to: refDate }
    : { from: refDate, to: refDate };
}

/** Retention for D keeps rows dated D - R and later. */
export function retentionCutoff(refDate: IsoDate, retentionDays: number): IsoDate {
  return addDays(refDate, -retentionDays);
}
