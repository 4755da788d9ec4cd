/**
 * Bound values and query tags in the shapes the @databricks/sql driver
 * sends: every parameter explicitly typed, so the warehouse never guesses.
 */
import { DBSQLParameter, DBSQLParameterType } from '@databricks/sql';
import type { Params, QueryTag, SqlValue } from './types.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/**
 * One value. A DATE goes as its 'YYYY-MM-DD' text typed DATE: a JS Date would
 * be formatted by the driver with local-time getters (the previous day west
 * of UTC). A TIMESTAMP goes as an ISO-8601 instant typed TIMESTAMP.
 */
export function toDriverParam(v: SqlValue): DBSQLParameter {
  if (v === null) return new DBSQLParameter({ type: DBSQLParameterType.VOID, value: null });
  if (typeof v === 'string') return new DBSQLParameter({ type: DBSQLParameterType.STRING, value: v });
  if (typeof v === 'boolean') return new DBSQLParameter({ type: DBSQLParameterType.BOOLEAN, value: v });
  if (typeof v === 'bigint') return new DBSQLParameter({ type: DBSQLParameterType.BIGINT, value: v });
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return new DBSQLParameter({ type: DBSQLParameterType.DOUBLE, value: v });
    const type = v >= INT32_MIN && v <= INT32_MAX ? DBSQLParameterType.INTEGER : DBSQLParameterType.BIGINT;
    return new DBSQLParameter({ type, value: Number.isSafeInteger(v) ? v : BigInt(v) });
  }
  if (v.kind === 'date') {
    if (!DATE.test(v.value)) throw new RangeError(`DATE parameter must be YYYY-MM-DD, got '${v.value}'`);
    return new DBSQLParameter({ type: DBSQLParameterType.DATE, value: v.value });
  }
  return new DBSQLParameter({ type: DBSQLParameterType.TIMESTAMP, value: v.value.toISOString() });
}

export function toDriverParams(params: Params | undefined): Record<string, DBSQLParameter> | undefined {
  if (!params) return undefined;
  const entries = Object.entries(params);
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map(([name, v]) => [name, toDriverParam(v)]));
}

/** Tag on the session: every statement of this service carries it. */
export const SESSION_TAGS: Readonly<Record<string, string>> = { app: 'crm-materializer' };

const clip = (s: string): string => (s.length > 128 ? s.slice(0, 128) : s);

/**
 * Per-statement tags (task, table, reference date, run id) for
 * system.query.history. Only ids and names: tags are stored as plain text.
 */
export function statementTags(tag: QueryTag | undefined): Record<string, string> {
  const out: Record<string, string> = { ...SESSION_TAGS };
  if (tag?.task) out.task = clip(tag.task);
  if (tag?.table) out.table = clip(tag.table);
  if (tag?.date) out.date = clip(tag.date);
  if (tag?.runId) out.run = clip(tag.runId);
  return out;
}

/** `host[:port]` (as DATABRICKS_HOST is validated) → the driver's host and port (443 by default). */
export function splitHost(hostPort: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostPort);
  if (!m?.[1]) return { host: hostPort, port: 443 };
  // An IPv6 address keeps its brackets: the driver writes https://${host}:${port}.
  return { host: m[1], port: m[2] === undefined ? 443 : Number(m[2]) };
}
