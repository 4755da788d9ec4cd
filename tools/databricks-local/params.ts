/**
 * TSparkParameter (as the driver sends it) → DuckDB values bound with the
 * matching DuckDB type: a DATE stays a DATE, a TIMESTAMP a TIMESTAMP.
 */
import {
  BIGINT,
  BOOLEAN,
  DATE,
  DECIMAL,
  DOUBLE,
  FLOAT,
  INTEGER,
  SMALLINT,
  TIMESTAMP,
  TINYINT,
  VARCHAR,
  dateValue,
  decimalValue,
  timestampValue,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { ReceivedParameter } from './log.js';
import type { TSparkParameter } from './thrift.js';

/** A statement error with the SQLSTATE and message Databricks would report. */
export class StatementError extends Error {
  override name = 'StatementError';
  constructor(
    readonly sqlState: string,
    message: string,
  ) {
    super(message);
  }
}

export function receivedParameters(params: readonly TSparkParameter[] | null | undefined): ReceivedParameter[] {
  return (params ?? []).map((p) => {
    const v = p.value;
    const value = v?.stringValue ?? v?.doubleValue ?? v?.booleanValue ?? null;
    return { name: p.name ?? undefined, ordinal: p.ordinal ?? undefined, type: p.type ?? undefined, value };
  });
}

const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

function invalid(type: string, raw: unknown): StatementError {
  return new StatementError('22018', `[CAST_INVALID_INPUT] The value '${String(raw)}' of the parameter cannot be cast to ${type}`);
}

function epochDays(raw: string): number {
  const m = DATE_RE.exec(raw);
  if (!m) throw invalid('DATE', raw);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS;
}

/** Micros since the epoch; a value without a zone is read as UTC (the warehouse session zone). */
function epochMicros(raw: string): bigint {
  const m = TIMESTAMP_RE.exec(raw.trim());
  if (!m) throw invalid('TIMESTAMP', raw);
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  let micros = BigInt(ms) * 1000n + BigInt(frac.padEnd(6, '0').slice(0, 6) || '0');
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1n : 1n;
    const digits = zone.slice(1).replace(':', '');
    const offsetMinutes = BigInt(Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
    micros -= sign * offsetMinutes * 60_000_000n;
  }
  return micros;
}

function integer(raw: unknown, type: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw invalid(type, raw);
  return n;
}

/** One parameter as a DuckDB value and type. */
function toDuck(p: ReceivedParameter): { value: DuckDBValue; type: DuckDBType | undefined; boundAs: string } {
  const raw = p.value;
  if (p.type === undefined || p.type === 'VOID' || raw === null) return { value: null, type: undefined, boundAs: 'NULL' };
  const text = String(raw);
  switch (p.type.toUpperCase()) {
    case 'STRING':
    case 'VARCHAR':
      return { value: text, type: VARCHAR, boundAs: 'VARCHAR' };
    case 'DATE':
      return { value: dateValue(epochDays(text)), type: DATE, boundAs: 'DATE' };
    case 'TIMESTAMP':
    case 'TIMESTAMP_NTZ':
      return { value: timestampValue(epochMicros(text)), type: TIMESTAMP, boundAs: 'TIMESTAMP' };
    case 'BOOLEAN': {
      const upper = text.toUpperCase();
      if (upper !== 'TRUE' && upper !== 'FALSE') throw invalid('BOOLEAN', raw);
      return { value: upper === 'TRUE', type: BOOLEAN, boundAs: 'BOOLEAN' };
    }
    case 'TINYINT':
      return { value: integer(raw, 'TINYINT', -128, 127), type: TINYINT, boundAs: 'TINYINT' };
    case 'SMALLINT':
      return { value: integer(raw, 'SMALLINT', -32768, 32767), type: SMALLINT, boundAs: 'SMALLINT' };
    case 'INT':
    case 'INTEGER':
      return { value: integer(raw, 'INTEGER', -2147483648, 2147483647), type: INTEGER, boundAs: 'INTEGER' };
    case 'BIGINT': {
      if (!/^-?\d+$/.test(text)) throw invalid('BIGINT', raw);
      const big = BigInt(text);
      if (big !== BigInt.asIntN(64, big)) throw invalid('BIGINT', raw);
      return { value: big, type: BIGINT, boundAs: 'BIGINT' };
    }
    case 'DOUBLE':
    case 'FLOAT': {
      const n = Number(raw);
      if (Number.isNaN(n) && text.toUpperCase() !== 'NAN') throw invalid(p.type, raw);
      return p.type.toUpperCase() === 'FLOAT' ? { value: n, type: FLOAT, boundAs: 'FLOAT' } : { value: n, type: DOUBLE, boundAs: 'DOUBLE' };
    }
    case 'DECIMAL': {
      const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text);
      if (!m || (m[2] === '' && !m[3])) throw invalid('DECIMAL', raw);
      const scale = (m[3] ?? '').length;
      const unscaled = BigInt(`${m[1]}${m[2] || '0'}${m[3] ?? ''}`);
      return { value: decimalValue(unscaled, 38, scale), type: DECIMAL(38, scale), boundAs: `DECIMAL(38,${scale})` };
    }
    default:
      throw new StatementError(
        '0A000',
        `[LOCAL_ENDPOINT_UNSUPPORTED] parameter type ${p.type} is not supported by the local Databricks endpoint`,
      );
  }
}

export interface Bindings {
  readonly values: DuckDBValue[] | Record<string, DuckDBValue>;
  readonly types: DuckDBType[] | Record<string, DuckDBType | undefined>;
}

/**
 * Bind the parameters a statement uses (`:name` or ordinal `?`). A marker
 * without a value fails as Databricks does (UNBOUND_SQL_PARAMETER).
 */
export function bindings(uses: readonly string[], received: readonly ReceivedParameter[]): Bindings | undefined {
  if (uses.length === 0) return undefined;
  const ordinal = uses.every((u) => /^\d+$/.test(u));
  if (ordinal) {
    const values: DuckDBValue[] = [];
    const types: DuckDBType[] = [];
    uses.forEach((u, i) => {
      const p = received.find((r) => r.ordinal === Number(u)) ?? (received.every((r) => r.name === undefined) ? received[i] : undefined);
      if (!p) throw new StatementError('42P02', `[UNBOUND_SQL_PARAMETER] Found the unbound parameter: ordinal ${u}.`);
      const d = toDuck(p);
      p.boundAs = d.boundAs;
      values.push(d.value);
      types.push(d.type ?? VARCHAR);
    });
    return { values, types };
  }
  const values: Record<string, DuckDBValue> = {};
  const types: Record<string, DuckDBType | undefined> = {};
  for (const name of uses) {
    const p = received.find((r) => r.name === name);
    if (!p) throw new StatementError('42P02', `[UNBOUND_SQL_PARAMETER] Found the unbound parameter: ${name}.`);
    const d = toDuck(p);
    p.boundAs = d.boundAs;
    values[name] = d.value;
    types[name] = d.type;
  }
  return { values, types };
}
