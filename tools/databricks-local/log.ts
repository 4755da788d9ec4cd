/**
 * What the local endpoint received, for assertions: every HTTP call, every
 * session and every statement, as plain objects (secrets left out).
 */

/** A parameter as the driver sent it (TSparkParameter). */
export interface ReceivedParameter {
  readonly name: string | undefined;
  readonly ordinal: number | undefined;
  /** Databricks type name, e.g. DATE, TIMESTAMP, STRING, BIGINT, INTEGER; undefined for NULL/VOID. */
  readonly type: string | undefined;
  readonly value: string | number | boolean | null;
  /** DuckDB type it was bound as (set when the statement runs), e.g. DATE. */
  boundAs?: string;
}

export interface CallRecord {
  readonly seq: number;
  readonly at: number;
  /** Thrift method (OpenSession, ExecuteStatement, …) or `GET /path` for non-Thrift requests. */
  readonly method: string;
  /** Request headers, lower-cased; `authorization` shown as `Bearer <redacted>`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly userAgent: string | undefined;
  /** Whether the request carried the expected token. */
  readonly authorized: boolean;
  /** HTTP status answered; 0 while hung or when the socket was dropped. */
  httpStatus: number;
  /** Name of the fault applied to this call, if any. */
  fault?: string;
  sessionId?: string;
  operationId?: string;
  /** The statement text, for ExecuteStatement. */
  statement?: string;
}

export interface SessionRecord {
  readonly sessionId: string;
  readonly openedAt: number;
  /** OpenSession's configuration (e.g. STATEMENT_TIMEOUT, QUERY_TAGS). */
  readonly configuration: Readonly<Record<string, string>>;
  readonly initialCatalog: string | undefined;
  readonly initialSchema: string | undefined;
  readonly clientProtocol: number | undefined;
  /** Configuration as it stands: OpenSession's, then each `SET key = value`. */
  readonly conf: Record<string, string>;
  /** `SET` statements in order. */
  readonly sets: Array<{ key: string; value: string }>;
  closedAt?: number;
}

export type StatementState = 'pending' | 'running' | 'finished' | 'error' | 'canceled' | 'timedout';

export interface StatementRecord {
  operationId: string;
  readonly sessionId: string;
  /** The statement text exactly as received. */
  readonly statement: string;
  readonly parameters: readonly ReceivedParameter[];
  readonly confOverlay: Readonly<Record<string, string>>;
  readonly runAsync: boolean;
  readonly queryTimeoutSeconds: number | undefined;
  readonly startedAt: number;
  /** Statement kind as the endpoint understood it: query, insert, replace, delete, ddl, set, vacuum, … */
  kind?: string;
  /** The DuckDB SQL actually run, in order (BEGIN/COMMIT included for REPLACE WHERE). */
  readonly duckdb: string[];
  state: StatementState;
  /** True once any DuckDB SQL ran for it. */
  executed: boolean;
  /** True when a cancel (or timeout) interrupted a running DuckDB statement. */
  interrupted: boolean;
  sqlState?: string;
  errorMessage?: string;
  rowCount?: number;
  numModifiedRows?: number;
  /** For REPLACE WHERE: rows deleted and inserted. */
  replaced?: { deleted: number; inserted: number };
  /** For VACUUM / OPTIMIZE: the validated request (a no-op here). */
  maintenance?: { table: string; retainHours?: number };
  fault?: string;
  endedAt?: number;
  /** When CloseOperation (or CloseSession, or the endpoint's direct results) closed it. */
  closedAt?: number;
}

const SECRET_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

export function safeHeaders(raw: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    const lower = key.toLowerCase();
    if (SECRET_HEADERS.has(lower)) out[lower] = /^bearer\s/i.test(text) ? 'Bearer <redacted>' : '<redacted>';
    else out[lower] = text;
  }
  return out;
}

export class EndpointLog {
  readonly calls: CallRecord[] = [];
  readonly sessions: SessionRecord[] = [];
  readonly statements: StatementRecord[] = [];
  private seq = 0;

  call(entry: Omit<CallRecord, 'seq' | 'at' | 'httpStatus'>): CallRecord {
    this.seq += 1;
    const record: CallRecord = { seq: this.seq, at: Date.now(), httpStatus: 0, ...entry };
    this.calls.push(record);
    return record;
  }

  /** Calls of one Thrift method, in order. */
  callsOf(method: string): CallRecord[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Thrift method names in the order received. */
  methods(): string[] {
    return this.calls.map((c) => c.method);
  }

  /** Statements whose text matches. */
  statementsMatching(match: RegExp | string): StatementRecord[] {
    return this.statements.filter((s) => (typeof match === 'string' ? s.statement.includes(match) : match.test(s.statement)));
  }

  clear(): void {
    this.calls.length = 0;
    this.sessions.length = 0;
    this.statements.length = 0;
  }
}
