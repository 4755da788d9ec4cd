/**
 * The one small interface every engine implements. Nothing above it knows
 * which engine runs: statements arrive already rendered for the engine's
 * dialect (see dialect.ts), with their values as bound parameters.
 */
import type { IsoDate } from '../dates.js';

export type Engine = 'duckdb' | 'databricks';

/** A bound value. Dates are `{ date: 'YYYY-MM-DD' }` so each engine can type them as DATE. */
export type SqlValue = string | number | bigint | boolean | null | SqlDate | SqlTimestamp;
export interface SqlDate {
  readonly kind: 'date';
  readonly value: IsoDate;
}
export interface SqlTimestamp {
  readonly kind: 'timestamp';
  readonly value: Date;
}
export const sqlDate = (value: IsoDate): SqlDate => ({ kind: 'date', value });
export const sqlTimestamp = (value: Date): SqlTimestamp => ({ kind: 'timestamp', value });

export type Params = Readonly<Record<string, SqlValue>>;

export interface Statement {
  /** SQL in the engine's dialect (rendered by dialect.ts), with its bound parameters. */
  readonly sql: string;
  readonly params?: Params;
}

/** Who runs a statement: lets engines tag queries for cost attribution and logs. */
export interface QueryTag {
  readonly task?: string;
  readonly table?: string;
  readonly date?: string;
  readonly runId?: string;
}

export interface AtomicOptions extends ExecOptions {
  /**
   * Run after the statements, inside the same transaction, before it commits:
   * it reads what readers would see, and throwing rolls everything back.
   * Only engines whose dialect says `checksInsideReplace` accept it.
   */
  readonly beforeCommit?: (query: (statement: Statement) => Promise<Row[]>) => Promise<void>;
}

export interface ExecOptions {
  /** Aborting cancels the running statement in the engine. */
  readonly signal?: AbortSignal;
  readonly tag?: QueryTag;
}

/**
 * Told the rows a statement's scans read. Only the statements whose tag
 * `counts` accepts are profiled (profiling costs a file write and read per
 * statement: the read API's queries are not counted, so not profiled).
 */
export type ScanListener = (scan: { readonly rowsScanned: Readonly<Record<string, number>>; readonly tag?: QueryTag }) => void;

/** Row values as plain JS: strings, numbers (bigint beyond 2^53), booleans, null, Date for DATE/TIMESTAMP. */
export type Row = Record<string, unknown>;

export interface ExecResult {
  /** Rows inserted/deleted/updated, when the engine reports it. */
  readonly rowsAffected: number | undefined;
}

export interface Warehouse {
  readonly engine: Engine;
  /** Run a statement that returns no rows. */
  execute(statement: Statement, options?: ExecOptions): Promise<ExecResult>;
  /** Run a query and return its rows. */
  query(statement: Statement, options?: ExecOptions): Promise<Row[]>;
  /**
   * Run statements so that readers see all of them or none: a transaction on
   * DuckDB, a single Delta commit on Databricks (one statement only).
   * `rowsAffected` is the last statement's (the INSERT of a replace).
   */
  executeAtomic(statements: readonly Statement[], options?: AtomicOptions): Promise<ExecResult>;
  /**
   * Report the rows each statement's scans read, per table, with the
   * statement's tag, where the engine can tell (DuckDB's profiler; the
   * Databricks driver does not return them: see system.query.history).
   */
  observeScans?(listener: ScanListener, counts?: (tag: QueryTag | undefined) => boolean): void;
  /** Release the engine (connections, file locks, sessions). Safe to call twice. */
  close(): Promise<void>;
}
