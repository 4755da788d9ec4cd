/**
 * The read API's query parameters: each checked strictly, a bad one answered
 * with 400 naming it. Values reach the SQL only as bound parameters.
 */
import { daysBetween, parseIsoDate } from '../dates.js';

/** The priority categories of TABLES.md, in their order (`ordem` = index). */
export const PRIORIDADES = ['Vencidas', 'S=0', 'S=1', 'S=2', 'S=3', 'S=4', 'Posterior a S=4', 'Sem vencimento'] as const;
export type Prioridade = (typeof PRIORIDADES)[number];

export const MAX_RANGE_DAYS = 366;
export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 50;
const ID = /^[A-Za-z0-9_.:-]{1,64}$/;
// Names such as 'Fábio Nunes': any printable text, no control characters.
const NAME = /^[^\p{Cc}]{1,128}$/u;
const MAX_CURSOR_LENGTH = 1024;

/** A bad query parameter: HTTP 400 `{ error, parameter }`. */
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
  readonly from: string | null;
  readonly to: string | null;
}
export interface PrioritiesQuery extends Filters {
  readonly date: string | null;
}
export interface ActionsQuery extends Filters {
  readonly date: string | null;
  readonly responsavel: string | null;
  readonly prioridade: Prioridade | null;
  readonly page_size: number;
  /** As received; checked and decoded by cursor.ts. */
  readonly cursor: string | null;
}

type Query = Readonly<Record<string, unknown>>;

/** The value of a parameter given at most once; null when absent. */
function single(query: Query, name: string): string | null {
  const v = query[name];
  if (v === undefined) return null;
  if (typeof v !== 'string') throw new ParamError(name, `${name} must be given once, as a plain value`);
  return v;
}

function onlyKnown(query: Query, allowed: readonly string[]): void {
  for (const name of Object.keys(query)) {
    if (!allowed.includes(name)) throw new ParamError(name, `unknown parameter ${name}: this endpoint accepts ${allowed.join(', ')}`);
  }
}

function date(query: Query, name: string): string | null {
  const v = single(query, name);
  if (v === null) return null;
  try {
    return parseIsoDate(v, name);
  } catch {
    throw new ParamError(name, `${name} must be a real calendar date as YYYY-MM-DD, e.g. 2026-11-29`);
  }
}

function id(query: Query, name: string): string | null {
  const v = single(query, name);
  if (v === null) return null;
  if (!ID.test(v)) throw new ParamError(name, `${name} must be 1 to 64 characters: letters, digits, _ . : -`);
  return v;
}

function filters(query: Query): Filters {
  return { organization_id: id(query, 'organization_id'), location_id: id(query, 'location_id') };
}

export function metricsQuery(query: Query): MetricsQuery {
  onlyKnown(query, ['from', 'to', 'organization_id', 'location_id']);
  const from = date(query, 'from');
  const to = date(query, 'to');
  if (from !== null && to !== null) {
    if (from > to) throw new ParamError('from', `from (${from}) must not be after to (${to})`);
    if (daysBetween(from, to) + 1 > MAX_RANGE_DAYS) throw new ParamError('to', `the range from..to spans at most ${MAX_RANGE_DAYS} days`);
  }
  return { from, to, ...filters(query) };
}

export function prioritiesQuery(query: Query): PrioritiesQuery {
  onlyKnown(query, ['date', 'organization_id', 'location_id']);
  return { date: date(query, 'date'), ...filters(query) };
}

export function actionsQuery(query: Query): ActionsQuery {
  onlyKnown(query, ['date', 'organization_id', 'location_id', 'responsavel', 'prioridade', 'page_size', 'cursor']);
  const responsavel = single(query, 'responsavel');
  if (responsavel !== null && !NAME.test(responsavel)) throw new ParamError('responsavel', 'responsavel must be 1 to 128 characters, without control characters');
  const prioridade = single(query, 'prioridade');
  if (prioridade !== null && !(PRIORIDADES as readonly string[]).includes(prioridade)) {
    throw new ParamError('prioridade', `prioridade must be one of: ${PRIORIDADES.join(', ')}`);
  }
  const size = single(query, 'page_size');
  const pageSize = size === null ? DEFAULT_PAGE_SIZE : /^\d{1,4}$/.test(size) ? Number(size) : NaN;
  if (!(pageSize >= 1 && pageSize <= MAX_PAGE_SIZE)) throw new ParamError('page_size', `page_size must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  const cursor = single(query, 'cursor');
  if (cursor !== null && (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH)) throw new ParamError('cursor', 'cursor is not one this API returned');
  return { date: date(query, 'date'), ...filters(query), responsavel, prioridade: prioridade as Prioridade | null, page_size: pageSize, cursor };
}
