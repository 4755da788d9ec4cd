/**
 * What one seeding produces: the scale's structure, the history's dates and
 * its split into monthly chunks (the unit of progress), derived from the
 * options alone so the data is a pure function of them.
 */
import { UsageError } from '../errors.js';
import { addDays, daysBetween, parseIsoDate, type IsoDate } from '../dates.js';
import { MIX, SCALES, isDemoScale, type DemoScale, type ScaleSpec } from './scales.js';

export interface DemoPlan {
  readonly scale: DemoScale;
  readonly spec: ScaleSpec;
  readonly seed: number;
  readonly days: number;
  readonly startDate: IsoDate;
  readonly endDate: IsoDate;
  /** Monday-first day-of-week index (0 = Monday) of startDate. */
  readonly startWeekday: number;
  /** First location index of each organization after the first (ascending). */
  readonly orgBoundaries: readonly number[];
  /** Checklist size per organization. */
  readonly checklists: readonly number[];
}

/** Days [first, last] (indexes from startDate) written by one chunk. */
export interface Chunk {
  readonly label: string;
  readonly first: number;
  readonly last: number;
}

export function makePlan(scale: string, endInput: string, days?: number, seed = 42): DemoPlan {
  if (!isDemoScale(scale)) throw new UsageError(`demo scale '${scale}' is not known: use small, medium or large`);
  const endDate = parseIsoDate(endInput, 'demo end date');
  const spec = SCALES[scale];
  const n = days ?? spec.days;
  if (!Number.isInteger(n) || n < 1 || n > 3660)
    throw new UsageError(`demo history of ${n} days: use a whole number of days from 1 to 3660`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2_147_483_647)
    throw new UsageError(`demo seed ${seed}: use a whole number from 0 to 2147483647`);
  const startDate = addDays(endDate, -(n - 1));
  return {
    scale,
    spec,
    seed,
    days: n,
    startDate,
    endDate,
    startWeekday: (new Date(`${startDate}T00:00:00Z`).getUTCDay() + 6) % 7,
    orgBoundaries: organizationBoundaries(spec.organizations, spec.locations),
    checklists: Array.from({ length: spec.organizations }, (_, i) => MIX.checklistBase + ((i * 5) % MIX.checklistSpread)),
  };
}

/** Uneven organization sizes (weights 1 .. 3), every organization with at least one location. */
function organizationBoundaries(organizations: number, locations: number): number[] {
  const weights = Array.from({ length: organizations }, (_, i) => 1 + ((i * 5) % 7) / 3);
  const total = weights.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  let cumulative = 0;
  for (let i = 0; i < organizations - 1; i++) {
    cumulative += weights[i] as number;
    const previous = out[i - 1] ?? 0;
    const boundary = Math.round((locations * cumulative) / total);
    out.push(Math.min(Math.max(boundary, previous + 1), locations - (organizations - 1 - i)));
  }
  return out;
}

/** The history split at calendar month starts, oldest first. */
export function monthlyChunks(plan: DemoPlan): Chunk[] {
  const out: Chunk[] = [];
  let first = 0;
  while (first < plan.days) {
    const day = addDays(plan.startDate, first);
    const [year, month] = [Number(day.slice(0, 4)), Number(day.slice(5, 7))];
    const nextMonth = parseIsoDate(month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, '0')}-01`);
    const last = Math.min(plan.days - 1, daysBetween(plan.startDate, nextMonth) - 1);
    out.push({ label: day.slice(0, 7), first, last });
    first = last + 1;
  }
  return out;
}
