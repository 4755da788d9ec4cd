/**
 * The read API's query parameters, validated with the zod schemas of
 * schemas.ts (the ones the OpenAPI document is generated from): each checked
 * strictly, a bad one answered with 400 naming it. Values reach the SQL only
 * as bound parameters.
 */
import type { z } from 'zod';
import { asIsoDate, daysBetween, type IsoDate } from '../dates.js';
import { DEFAULT_PAGE_SIZE, MAX_RANGE_DAYS, QUERIES, paramMessage, type ParamName, type Prioridade } from './schemas.js';

export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_RANGE_DAYS, PRIORIDADES, type Prioridade } from './schemas.js';

/** A bad query parameter: HTTP 400 problem naming it. */
export class ParamError extends Error {
  override name = 'ParamError';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Filters {
  readonly organization_id: string | null;
  readonly location_id: string | null;
}
export interface MetricsQuery extends Filters {
  readonly from: IsoDate | null;
  readonly to: IsoDate | null;
}
export interface PrioritiesQuery extends Filters {
  readonly date: IsoDate | null;
}
export interface ActionsQuery extends Filters {
  readonly date: IsoDate | null;
  readonly responsavel: string | null;
  readonly prioridade: Prioridade | null;
  readonly page_size: number;
  /** As received; checked and decoded by cursor.ts. */
  readonly cursor: string | null;
}

type Query = Readonly<Record<string, unknown>>;
type Route = keyof typeof QUERIES;

/** The query checked against the route's schema; the first problem becomes a ParamError naming its parameter. */
function parse<R extends Route>(route: R, query: Query): z.infer<(typeof QUERIES)[R]> {
  const result = QUERIES[route].safeParse(query);
  if (result.success) return result.data as z.infer<(typeof QUERIES)[R]>;
  const accepted = Object.keys(QUERIES[route].shape);
  const unknown = result.error.issues.find((i) => i.code === 'unrecognized_keys');
  if (unknown) {
    const name = unknown.keys[0] ?? '';
    throw new ParamError(
      name,
      `unknown parameter ${name}: ${accepted.length > 0 ? `this endpoint accepts ${accepted.join(', ')}` : 'this endpoint takes none'}`,
    );
  }
  const issue = result.error.issues[0];
  const name = String(issue?.path[0] ?? '') as ParamName;
  if (typeof query[name] !== 'string') throw new ParamError(name, `${name} must be given once, as a plain value`);
  throw new ParamError(name, paramMessage(name));
}

const orNull = (v: string | undefined): string | null => v ?? null;
const filters = (q: { organization_id?: string; location_id?: string }): Filters => ({
  organization_id: orNull(q.organization_id),
  location_id: orNull(q.location_id),
});

export function metricsQuery(query: Query): MetricsQuery {
  const q = parse('metrics', query);
  const from = asIsoDate(q.from);
  const to = asIsoDate(q.to);
  if (from !== null && to !== null) {
    if (from > to) throw new ParamError('from', `from (${from}) must not be after to (${to})`);
    if (daysBetween(from, to) + 1 > MAX_RANGE_DAYS) throw new ParamError('to', `the range from..to spans at most ${MAX_RANGE_DAYS} days`);
  }
  return { from, to, ...filters(q) };
}

export function prioritiesQuery(query: Query): PrioritiesQuery {
  const q = parse('priorities', query);
  return { date: asIsoDate(q.date), ...filters(q) };
}

export function actionsQuery(query: Query): ActionsQuery {
  const q = parse('actions', query);
  return {
    date: asIsoDate(q.date),
    ...filters(q),
    responsavel: orNull(q.responsavel),
    prioridade: (q.prioridade ?? null) as Prioridade | null,
    page_size: q.page_size === undefined ? DEFAULT_PAGE_SIZE : Number(q.page_size),
    cursor: orNull(q.cursor),
  };
}

export function freshnessQuery(query: Query): void {
  parse('freshness', query);
}
