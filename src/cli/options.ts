/** Parsing of CLI flags: every bad value is a one-line UsageError (exit 2). */
import { systemClock, todayIn, type Clock } from '../clock.js';
import { parseIsoDate, parseReferenceDate, type IsoDate } from '../dates.js';
import { UsageError } from '../errors.js';
import { TABLE_NAMES, isTableName, type TableName } from '../tables/registry.js';
import { TASK_KINDS, type TaskKind } from '../tasks/run-inline.js';

export function parseDateFlag(value: string | undefined, timeZone: string, flag = '--date', clock: Clock = systemClock): IsoDate {
  if (value === undefined) return todayIn(clock, timeZone);
  return parseIsoDate(value, flag);
}

/** A reference date for a command that writes: also refused when in the future, unless `allowFuture`. */
export function parseRunDateFlag(
  value: string | undefined,
  timeZone: string,
  opts: { flag?: string; allowFuture?: boolean; clock?: Clock } = {},
): IsoDate {
  const clock = opts.clock ?? systemClock;
  const now = clock.now();
  if (value === undefined) return todayIn(clock, timeZone);
  return parseReferenceDate(value, timeZone, { what: opts.flag ?? '--date', allowFuture: opts.allowFuture, now });
}

function parseList<T extends string>(raw: string | undefined, all: readonly T[], flag: string, isValid: (s: string) => s is T): T[] {
  if (raw === undefined) return [...all];
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`${flag} is empty: use one or more of ${all.join(', ')}`);
  for (const item of items) {
    if (!isValid(item))
      throw new UsageError(
        `unknown ${flag.replace(/^--/, '').replace(/s$/, '')} '${item}' in ${flag}: use one or more of ${all.join(', ')}`,
      );
  }
  // Registry order, whatever the order given.
  return all.filter((a) => items.includes(a));
}

export function parseTablesFlag(raw: string | undefined): TableName[] {
  return parseList(raw, TABLE_NAMES, '--tables', isTableName);
}

export function parseTasksFlag(raw: string | undefined): TaskKind[] {
  return parseList(raw, TASK_KINDS, '--tasks', (s): s is TaskKind => (TASK_KINDS as readonly string[]).includes(s));
}

export function parseChoice<T extends string>(raw: string, choices: readonly T[], flag: string): T {
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  throw new UsageError(`${flag} '${raw}' is not valid: use one of ${choices.join(', ')}`);
}

export function parseIntFlag(raw: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new UsageError(`${flag} '${raw}' is not valid: use a whole number from ${min} to ${max}`);
  return Number(raw);
}
