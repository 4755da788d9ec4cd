/**
 * Calendar dates as 'YYYY-MM-DD' strings, with arithmetic in whole days.
 * Dates never pass through local time: the warehouse runs in UTC and the
 * schedule in SCHEDULE_TZ, so "today" is computed explicitly in a zone.
 */
import { UsageError } from './errors.js';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

declare const isoDateBrand: unique symbol;
/**
 * A real calendar date as 'YYYY-MM-DD'. Only the functions of this module
 * make one: parseIsoDate from input, asIsoDate from an engine's value, the
 * arithmetic below from another IsoDate. A reference date D is an IsoDate
 * wherever it travels (payloads, windows, SQL parameters).
 */
export type IsoDate = string & { readonly [isoDateBrand]: true };

/** Parse a strict, real calendar date; throws a UsageError naming `what`. */
export function parseIsoDate(input: string, what = 'date'): IsoDate {
  const m = ISO_DATE.exec(input);
  if (!m) throw new UsageError(`${what} '${input}' is not a date: use YYYY-MM-DD, e.g. 2026-11-29`);
  const [, y, mo, d] = m;
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d));
  if (toIsoDate(t) !== input) throw new UsageError(`${what} '${input}' is not a real calendar date: use YYYY-MM-DD, e.g. 2026-11-29`);
  return input as IsoDate;
}

function toIsoDate(epochMs: number): IsoDate {
  return new Date(epochMs).toISOString().slice(0, 10) as IsoDate;
}

function toEpochMs(date: IsoDate): number {
  return Date.parse(`${date}T00:00:00Z`);
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return toIsoDate(toEpochMs(date) + days * DAY_MS);
}

/** b - a in whole days. */
export function daysBetween(a: IsoDate, b: IsoDate): number {
  return Math.round((toEpochMs(b) - toEpochMs(a)) / DAY_MS);
}

/**
 * Data lag: days from a table's newest date to the reference date (or today),
 * never negative (a table that holds a later date than the one asked about is
 * not behind).
 */
export function dataLagDays(newest: IsoDate, refDate: IsoDate): number {
  return Math.max(0, daysBetween(newest, refDate));
}

/** The calendar date of `instant` in `timeZone`. */
export function dateInZone(instant: Date, timeZone: string): IsoDate {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(instant);
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}` as IsoDate;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Inclusive list of dates from `from` to `to`. */
export function dateRange(from: IsoDate, to: IsoDate): IsoDate[] {
  const out: IsoDate[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

/** A Date (DATE or TIMESTAMP from an engine) or string as 'YYYY-MM-DD'. */
export function asIsoDate(value: unknown): IsoDate | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return toIsoDate(value.getTime());
  if (typeof value === 'string') return value.slice(0, 10) as IsoDate;
  throw new TypeError(`not a date: ${typeof value}`);
}

/**
 * How far after today (in the schedule's time zone) a reference date may be
 * without --allow-future: one day, so that a run planned just before
 * midnight, or from a host whose clock is a little ahead, is not refused.
 */
export const FUTURE_TOLERANCE_DAYS = 1;

/** The latest reference date accepted without --allow-future: today in `timeZone` plus the tolerance. */
export function latestReferenceDate(timeZone: string, now: Date = new Date()): IsoDate {
  return addDays(dateInZone(now, timeZone), FUTURE_TOLERANCE_DAYS);
}

/** Why `date` is too far in the future to be a reference date, or undefined when it is not. */
export function futureDateProblem(date: IsoDate, timeZone: string, now: Date = new Date()): string | undefined {
  const latest = latestReferenceDate(timeZone, now);
  if (date <= latest) return undefined;
  return `${date} is in the future (today is ${dateInZone(now, timeZone)} in ${timeZone}; at most ${latest} is accepted)`;
}

/** A reference date given by an operator: a real date, and not in the future unless `allowFuture`. */
export function parseReferenceDate(
  input: string,
  timeZone: string,
  opts: { what?: string; allowFuture?: boolean; now?: Date } = {},
): IsoDate {
  const what = opts.what ?? 'date';
  const date = parseIsoDate(input, what);
  const problem = opts.allowFuture ? undefined : futureDateProblem(date, timeZone, opts.now);
  if (problem) throw new UsageError(`${what} ${problem}: use a date up to today, or add --allow-future if a future date is intended`);
  return date;
}
