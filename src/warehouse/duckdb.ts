/**
 * The embedded engine: DuckDB through @duckdb/node-api. The database file is
 * attached under the catalog's name so three-part names read as on
 * Databricks. The file is held open only while statements run (plus a short
 * idle grace), so a DuckDB shell or the seeder can use it between tasks; one
 * instance per file in the process, closed exclusively (duckdb-file.ts).
 */
import { resolve } from 'node:path';
import { DuckDBInstance, dateValue, timestampValueFromDate, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { StatementCancelledError, WarehouseError, WarehouseFileError } from '../errors.js';
import { daysBetween, parseIsoDate } from '../dates.js';
import { duckdbDialect } from './dialect.js';
import { duckDbError, requireDuckDbFile } from './duckdb-errors.js';
import { prepareDuckDbFolder } from './duckdb-path.js';
import { FileRegistry, type FileEngine } from './duckdb-file.js';
import { ConnectionProfiler, type ProfileListener } from './duckdb-profile.js';
import { TABLE_ROW_GROUP_SIZE } from './duckdb-storage.js';
import { normalizeRow } from './rows.js';
export { DUCKDB_DEFAULT_ROW_GROUP_SIZE, TABLE_ROW_GROUP_SIZE } from './duckdb-storage.js';
import type { AtomicOptions, ExecOptions, ExecResult, Params, QueryTag, Row, SqlValue, Statement, Warehouse } from './types.js';

export interface DuckDbOptions {
  readonly path: string;
  readonly catalog: string;
  readonly readOnly?: boolean;
  /** Refuse to open a file that does not exist (everything but `init` and `demo seed`): never create an empty database by accident. */
  readonly mustExist?: boolean;
  /** Keep the file open this long after the last statement (ms). */
  readonly idleCloseMs?: number;
  /**
   * Release the file as each statement ends (when no other statement of the
   * process runs on it): a process that only reads (the web role apart from
   * the workers) so the worker process can open the file for its writes.
   */
  readonly releaseAfterEachStatement?: boolean;
  /**
   * DuckDB's worker threads (its `threads` setting); default: one per core.
   * Fewer when the read API shares the process (engineThreadsBesideApi).
   * The first warehouse to open a file decides (one instance per file).
   */
  readonly threads?: number;
  /** Profile every statement and report the rows its scans read (benchmarks, tests). */
  readonly onProfile?: ProfileListener;
  /**
   * Rows per row group of what this process writes into the file (DuckDB's
   * ROW_GROUP_SIZE of the ATTACH; a multiple of 2048). Default
   * TABLE_ROW_GROUP_SIZE. The first warehouse to open a file decides.
   */
  readonly rowGroupSize?: number;
  /**
   * DuckDB's optimistic writes (enable_optimistic_write): an append of a full
   * row group or more is compressed and written into the file before its
   * commit. Off by default: at TABLE_ROW_GROUP_SIZE a day's rows are many
   * row groups, each compressed as the refresh's INSERT runs (it took twice
   * as long); off, they go to the WAL at commit and are compressed by the
   * checkpoint that follows on the engine's threads, as a day's rows did at
   * DuckDB's default row group size.
   */
  readonly optimisticWrites?: boolean;
}

/** The DuckDB side of the file sharing (duckdb-file.ts): open, checkpoint, close. */
function duckDbFile(o: DuckDbOptions): FileEngine<DuckDBInstance> {
  return {
    open: () => openInstance(o),
    // Closing writes the WAL into the file, synchronously: seconds of a blocked
    // event loop after a refresh. A CHECKPOINT first does that work on the
    // thread pool, leaving closeSync nothing to write.
    checkpoint: (instance) => (o.readOnly ? Promise.resolve() : checkpoint(instance, o.catalog)),
    closeSync: (instance) => instance.closeSync(),
  };
}

async function checkpoint(instance: DuckDBInstance, catalog: string): Promise<void> {
  try {
    const c = await instance.connect();
    try {
      await c.run(`CHECKPOINT ${catalog}`);
    } finally {
      c.closeSync();
    }
  } catch {
    // Left to closeSync (a full disk, a damaged file: the next open reports it).
  }
}

const files = new FileRegistry<DuckDBInstance>();

function fileKey(options: DuckDbOptions): string {
  return `${resolve(options.path)}|${options.catalog}|${options.readOnly ? 'ro' : 'rw'}`;
}

export class DuckDbWarehouse implements Warehouse {
  readonly engine = 'duckdb' as const;

  private scanObserver: { readonly listener: ProfileListener; readonly counts: (tag: QueryTag | undefined) => boolean } | undefined;

  constructor(private readonly options: DuckDbOptions) {}

  /**
   * From now on, profile the statements whose tag `counts` accepts (all by default) and report the
   * rows their scans read, with the tag (the task metrics).
   */
  observeScans(listener: ProfileListener, counts: (tag: QueryTag | undefined) => boolean = () => true): void {
    this.scanObserver = { listener, counts };
  }

  async execute(statement: Statement, options: ExecOptions = {}): Promise<ExecResult> {
    return this.withConnection(options, async (c, p) => ({ rowsAffected: await run(c, statement, p) }));
  }

  async query(statement: Statement, options: ExecOptions = {}): Promise<Row[]> {
    return this.withConnection(options, async (c, p) => {
      const reader = await c.runAndReadAll(statement.sql, toDuckParams(statement.params));
      p?.(statement.sql);
      return reader.getRowObjectsJS().map(normalizeRow);
    });
  }

  async executeAtomic(statements: readonly Statement[], options: AtomicOptions = {}): Promise<ExecResult> {
    return this.withConnection(options, async (c, p) => {
      await c.run('BEGIN TRANSACTION');
      try {
        let last = 0;
        for (const s of statements) last = await run(c, s, p);
        await options.beforeCommit?.(async (s) =>
          (await c.runAndReadAll(s.sql, toDuckParams(s.params))).getRowObjectsJS().map(normalizeRow),
        );
        await c.run('COMMIT');
        return { rowsAffected: last };
      } catch (e) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  /** Release the file now if no statement of any warehouse on it is running. */
  async close(): Promise<void> {
    await files.close(fileKey(this.options));
  }

  private async withConnection<T>(
    options: ExecOptions,
    fn: (c: DuckDBConnection, profiled?: (sql: string) => void) => Promise<T>,
  ): Promise<T> {
    const { signal } = options;
    if (signal?.aborted) throw new StatementCancelledError('task aborted before the statement started');
    let lease: { instance: DuckDBInstance; release: () => void };
    try {
      lease = await files.lease(fileKey(this.options), () => duckDbFile(this.options), this.options.idleCloseMs ?? 250);
    } catch (e) {
      throw duckDbError(e, resolve(this.options.path), signal);
    }
    const { instance } = lease;
    let connection: DuckDBConnection | undefined;
    const interrupt = (): void => connection?.interrupt();
    const observer = this.scanObserver?.counts(options.tag) ? this.scanObserver.listener : undefined;
    const onProfile = this.options.onProfile ?? observer;
    const profiler = onProfile ? new ConnectionProfiler() : undefined;
    try {
      connection = await instance.connect();
      for (const sql of duckdbDialect.sessionSetup) await connection.run(sql);
      await profiler?.enable(connection);
      signal?.addEventListener('abort', interrupt, { once: true });
      if (signal?.aborted) throw new StatementCancelledError('task aborted before the statement started');
      return await fn(
        connection,
        profiler && onProfile ? (sql) => onProfile({ ...profiler.read(sql), ...(options.tag ? { tag: options.tag } : {}) }) : undefined,
      );
    } catch (e) {
      throw duckDbError(e, resolve(this.options.path), signal);
    } finally {
      signal?.removeEventListener('abort', interrupt);
      connection?.closeSync();
      profiler?.dispose();
      lease.release();
      if (this.options.releaseAfterEachStatement) await files.close(fileKey(this.options)).catch(() => undefined);
    }
  }
}

async function openInstance(o: DuckDbOptions): Promise<DuckDBInstance> {
  const path = resolve(o.path);
  if (!o.readOnly) prepareDuckDbFolder(o.path);
  if (o.mustExist || o.readOnly) requireDuckDbFile(o.path);
  const rowGroupSize = o.rowGroupSize ?? TABLE_ROW_GROUP_SIZE;
  if (!Number.isInteger(rowGroupSize) || rowGroupSize <= 0 || rowGroupSize % 2048 !== 0)
    throw new Error(`DuckDB row group size ${rowGroupSize}: a positive multiple of 2048`);
  const instance = await DuckDBInstance.create(':memory:', {
    ...(o.threads === undefined ? {} : { threads: String(o.threads) }),
    enable_optimistic_write: o.optimisticWrites === true ? 'true' : 'false',
  });
  try {
    const c = await instance.connect();
    try {
      await c.run(
        `ATTACH '${path.replaceAll("'", "''")}' AS ${o.catalog} (${o.readOnly ? 'READ_ONLY' : `ROW_GROUP_SIZE ${rowGroupSize}`})`,
      );
    } finally {
      c.closeSync();
    }
    return instance;
  } catch (e) {
    instance.closeSync();
    const err = duckDbError(e, path);
    // Not damaged, full nor held: still a file that cannot be opened, never "a source view is missing".
    throw err instanceof WarehouseError && err.name === 'WarehouseError' && !err.transient
      ? new WarehouseFileError(`cannot open DuckDB file ${path}: ${err.message}`, { cause: e })
      : err;
  }
}

async function run(c: DuckDBConnection, s: Statement, profiled?: (sql: string) => void): Promise<number> {
  const result = await c.run(s.sql, toDuckParams(s.params));
  profiled?.(s.sql);
  return result.rowsChanged;
}

function toDuckParams(params: Params | undefined): Record<string, DuckDBValue> | undefined {
  if (!params || Object.keys(params).length === 0) return undefined;
  const out: Record<string, DuckDBValue> = {};
  for (const [k, v] of Object.entries(params)) out[k] = toDuckValue(v);
  return out;
}

/** DuckDB's DATE counts days from here. */
const UNIX_EPOCH = parseIsoDate('1970-01-01');

function toDuckValue(v: SqlValue): DuckDBValue {
  if (v !== null && typeof v === 'object') {
    return v.kind === 'date' ? dateValue(daysBetween(UNIX_EPOCH, v.value)) : timestampValueFromDate(v.value);
  }
  return v;
}
