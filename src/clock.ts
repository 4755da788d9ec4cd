/**
 * The one source of "now" and of "today in SCHEDULE_TZ". Everything that
 * decides a date from the current time asks a Clock, so tests fix the instant
 * (or run the whole process under faketime) instead of depending on the hour.
 */
import { dateInZone, type IsoDate } from './dates.js';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock stopped at `instant` (tests, and "as of" computations). */
export function fixedClock(instant: Date | string): Clock {
  const at = new Date(instant);
  return { now: () => new Date(at) };
}

/** Today's date in `timeZone`, per `clock`. */
export function todayIn(clock: Clock, timeZone: string): IsoDate {
  return dateInZone(clock.now(), timeZone);
}
