/**
 * Guarded publish: before a refreshed day replaces the rows readers see, it
 * is compared with the days before it, and held when a source looks broken
 * (below PUBLISH_MIN_RATIO of the trailing median). Held = the replace does
 * not happen (DuckDB: rolled back before its commit; Databricks: checked
 * before the REPLACE WHERE), the task fails unretried, the previous rows stay.
 * The readings per table are in docs/data-contract-notes.md.
 */
import { addDays, asIsoDate, dateRange, type IsoDate } from '../dates.js';
import { PublishHeldError } from '../errors.js';
import { TABLES, derivedFrom, type TableName } from '../tables/registry.js';
import type { DateRange } from '../tables/statements.js';
import type { ExecResult, Row, Statement } from '../warehouse/types.js';
import type { TaskContext } from './context.js';
import { GUARD_DAYS, guardStatements } from '../tables/guard.js';

/** Fewer earlier points than this: no history to compare with, the day is published. */
export const GUARD_MIN_POINTS = 3;

export interface PublishGuard {
  /** PUBLISH_MIN_RATIO; 0 turns the guard off. */
  readonly minRatio: number;
  /** `run --accept-anomaly`: publish whatever the comparison says. */
  readonly accept: boolean;
}

export interface Baseline {
  readonly median: number;
  readonly points: number;
}

/** Per day (YYYY-MM-DD) the measure, from 14_publish_history.sql's rows. */
export function dailyMeasures(rows: readonly Row[]): Map<string, number> {
  return new Map(rows.map((r) => [asIsoDate(r.dia) ?? '', Number(r.medida ?? 0)]));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The median of the measure over the spans ending D-1 … D-7 (a span is
 * `spanDays` days). A span with no published row is no point; with fewer
 * than GUARD_MIN_POINTS points there is no baseline.
 */
export function baseline(daily: ReadonlyMap<string, number>, refDate: IsoDate, spanDays: number): Baseline | undefined {
  const points: number[] = [];
  for (let k = 1; k <= GUARD_DAYS; k++) {
    const days = dateRange(addDays(refDate, -k - (spanDays - 1)), addDays(refDate, -k));
    if (days.some((d) => daily.has(d))) points.push(days.reduce((n, d) => n + (daily.get(d) ?? 0), 0));
  }
  return points.length < GUARD_MIN_POINTS ? undefined : { median: median(points), points: points.length };
}

const sum = (daily: ReadonlyMap<string, number>): number => [...daily.values()].reduce((a, b) => a + b, 0);

export interface ReplaceResult extends ExecResult {
  /** The rows of `alsoRead`, read in the replace's session (inside its transaction where the engine allows). */
  readonly alsoRead?: Row[];
}

/**
 * Replace `range` of the table with `statements`, unless the new day looks
 * broken next to the days before it. `alsoRead` is a query on what the
 * statements staged in the session (e.g. the anomalies among the rows read).
 */
export async function guardedReplace(
  ctx: TaskContext,
  table: TableName,
  range: DateRange,
  statements: readonly Statement[],
  guard: PublishGuard,
  writtenAt: Date,
  alsoRead?: Statement,
): Promise<ReplaceResult> {
  const opts = { signal: ctx.signal, tag: ctx.tag };
  const inside = ctx.sql.dialect.checksInsideReplace;
  const replace = async (check?: (q: (s: Statement) => Promise<Row[]>) => Promise<void>): Promise<ReplaceResult> => {
    let read: Row[] | undefined;
    const beforeCommit =
      inside && (check || alsoRead)
        ? async (q: (s: Statement) => Promise<Row[]>): Promise<void> => {
            await check?.(q);
            if (alsoRead) read = await q(alsoRead);
          }
        : undefined;
    const result = await ctx.warehouse.executeAtomic(statements, { ...opts, beforeCommit });
    if (alsoRead && !inside) read = await ctx.warehouse.query(alsoRead, opts);
    return { ...result, ...(read ? { alsoRead: read } : {}) };
  };
  if (guard.accept || guard.minRatio <= 0) return replace();
  const refDate = range.to;
  const { history, candidate } = guardStatements(ctx.sql, table, range, writtenAt);
  // Read before the replace: a rolling window's replace deletes some of these days.
  const base = baseline(dailyMeasures(await ctx.warehouse.query(history, opts)), refDate, TABLES[table].publishGuard.spanDays);
  if (!base) {
    ctx.log.info({ table, date: refDate }, `publish guard: fewer than ${GUARD_MIN_POINTS} earlier days to compare with: published as is`);
    return replace();
  }
  const check = (rows: readonly Row[]): void => {
    const value = sum(dailyMeasures(rows));
    if (value < guard.minRatio * base.median) throw new PublishHeldError(heldMessage(table, refDate, value, base, guard.minRatio));
    ctx.log.info({ table, date: refDate, value, median: base.median }, 'publish guard: in line with the days before');
  };
  if (ctx.sql.dialect.checksInsideReplace) return replace(async (q) => check(await q(candidate)));
  check(await ctx.warehouse.query(candidate, opts));
  return replace();
}

function heldMessage(table: TableName, date: IsoDate, value: number, base: Baseline, ratio: number): string {
  const { what } = TABLES[table].publishGuard;
  const sources =
    TABLES[table].sources.length > 0 ? TABLES[table].sources.join(', ') : `the rows of ${derivedFrom(table) ?? 'its source table'}`;
  return (
    `${table} for ${date} held, previous rows kept: ${value} ${what} ${date} vs a median of ` +
    `${base.median} over the ${base.points} days before ` +
    `(below PUBLISH_MIN_RATIO=${ratio}); check ${sources}, then publish it anyway with ` +
    `'crm-materializer run --date ${date} --tables ${table} --accept-anomaly'`
  );
}
