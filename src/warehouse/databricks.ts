/**
 * The Databricks engine: a SQL warehouse through @databricks/sql (Thrift
 * over HTTPS). One session per warehouse object (one per worker process),
 * opened on the first statement and closed by close(). Every statement is
 * tagged for system.query.history, bound with typed parameters, cancelled
 * in the warehouse when its task aborts, and closed when done. The driver is
 * reached through a DatabricksDriver (databricks-client.ts).
 */
import { StatementCancelledError, WarehouseError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DatabricksClient, DatabricksOperation, DatabricksSession } from './databricks-client.js';
import {
  credentialVars,
  openSession,
  realDriver,
  secretsOf,
  RETENTION_CHECK_CONF,
  type DatabricksDriver,
  type DatabricksSettings,
} from './databricks-connection.js';
import { describeFailure, isInvalidSession, type ErrorContext } from './databricks-errors.js';
import { rowsAffectedOf, runOperation } from './databricks-operation.js';
import { statementTags, toDriverParams } from './databricks-params.js';
import { normalizeRow } from './rows.js';
import type { ExecOptions, ExecResult, Row, Statement, Warehouse, AtomicOptions } from './types.js';

export class DatabricksWarehouse implements Warehouse {
  readonly engine = 'databricks' as const;
  private readonly log: Logger;
  private readonly secrets: readonly string[];
  private client: DatabricksClient | undefined;
  private opening: Promise<DatabricksSession> | undefined;
  private current: DatabricksSession | undefined;
  private lifetime = new AbortController();

  constructor(
    private readonly settings: DatabricksSettings,
    log: Logger,
    /** How clients are made: the real driver unless a test scripts one. */
    private readonly driver: DatabricksDriver = realDriver,
  ) {
    this.log = log.child({ engine: 'databricks' });
    this.secrets = secretsOf(settings).filter((s) => s.length >= 4);
    if (settings.disableRetentionCheck) {
      this.log.warn(
        `VACUUM_ALLOW_SHORT_RETENTION=true with VACUUM_RETAIN_HOURS below 168: sessions set ` +
          `${RETENTION_CHECK_CONF}=false so retention's VACUUM may remove files that concurrent readers and ` +
          `time travel still need`,
      );
    }
  }

  async execute(statement: Statement, options: ExecOptions = {}): Promise<ExecResult> {
    return this.run(statement, options, async (op) => ({ rowsAffected: rowsAffectedOf(await op.fetchAll()) }));
  }

  async query(statement: Statement, options: ExecOptions = {}): Promise<Row[]> {
    return this.run(statement, options, async (op) => (await op.fetchAll()).map((r) => normalizeRow(r as Record<string, unknown>)));
  }

  /** One statement only: on Databricks an atomic change is a single Delta commit (INSERT … REPLACE WHERE). */
  async executeAtomic(statements: readonly Statement[], options: AtomicOptions = {}): Promise<ExecResult> {
    const [only] = statements;
    // A REPLACE WHERE cannot be stopped half-way: checks run before it (see the dialect's checksInsideReplace).
    if (options.beforeCommit) throw new WarehouseError('Databricks cannot check a change before its commit: check it before the statement');
    if (statements.length !== 1 || only === undefined) {
      throw new WarehouseError(`Databricks runs an atomic change as exactly one statement (one Delta commit), got ${statements.length}`);
    }
    return this.execute(only, options);
  }

  /** Close the session and the client; a later statement opens new ones. */
  async close(): Promise<void> {
    const opening = this.opening;
    const client = this.client;
    this.opening = undefined;
    this.current = undefined;
    this.client = undefined;
    this.lifetime.abort();
    this.lifetime = new AbortController();
    const session = await opening?.catch(() => undefined);
    if (session) {
      await session
        .close()
        .then(() => this.log.debug('Databricks session closed'))
        .catch((e: unknown) => this.log.warn({ error: this.redact(String(e)) }, 'closing the Databricks session failed'));
    }
    await client?.close().catch((e: unknown) => this.log.debug({ error: this.redact(String(e)) }, 'closing the Databricks client failed'));
  }

  private async run<T>(statement: Statement, options: ExecOptions, consume: (op: DatabricksOperation) => Promise<T>): Promise<T> {
    const { signal } = options;
    if (signal?.aborted) throw new StatementCancelledError('task aborted before the statement started');
    const errors = this.errorContext(signal);
    let request;
    try {
      request = { namedParameters: toDriverParams(statement.params), queryTags: statementTags(options.tag), useCloudFetch: false };
    } catch (e) {
      throw new WarehouseError(`cannot bind the statement's parameters: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    let op: DatabricksOperation | undefined;
    for (let attempt = 1; op === undefined; attempt += 1) {
      const session = await this.session(signal);
      try {
        op = await session.executeStatement(statement.sql, request);
      } catch (e) {
        // The warehouse forgot the session (it stopped, or the session expired): the statement was never accepted.
        if (attempt === 1 && isInvalidSession(e)) {
          this.log.info('Databricks session no longer valid: opening a new one');
          this.forget(session);
          continue;
        }
        throw await describeFailure(e, errors);
      }
    }
    try {
      return await runOperation(op, { log: this.log, startupWaitMs: this.settings.startupWaitMs, signal }, consume);
    } catch (e) {
      throw await describeFailure(e, errors);
    }
  }

  /** The shared session, opened once; a caller whose task aborts stops waiting for it. */
  private session(signal: AbortSignal | undefined): Promise<DatabricksSession> {
    this.opening ??= this.open().catch((e: unknown) => {
      this.opening = undefined;
      throw e;
    });
    return untilAborted(this.opening, signal);
  }

  private async open(): Promise<DatabricksSession> {
    const errors = this.errorContext(undefined);
    try {
      this.client ??= await this.driver.connect(this.settings, this.log, (t) => this.redact(t));
    } catch (e) {
      throw await describeFailure(e, errors);
    }
    const session = await openSession(this.client, this.settings, this.log, errors, this.lifetime.signal);
    this.log.debug({ catalog: this.settings.catalog, schema: this.settings.schema }, 'Databricks session opened');
    this.current = session;
    return session;
  }

  private forget(session: DatabricksSession): void {
    if (this.current === session) {
      this.opening = undefined;
      this.current = undefined;
    }
    void session.close().catch(() => undefined);
  }

  private errorContext(signal: AbortSignal | undefined): ErrorContext {
    return {
      signal,
      credentialVars: credentialVars(this.settings),
      host: this.settings.hostPort,
      httpPath: this.settings.httpPath,
      statementTimeoutSeconds: this.settings.statementTimeoutSeconds,
      redact: (t) => this.redact(t),
    };
  }

  private redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('[redacted]');
    return out;
  }
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new StatementCancelledError('task aborted before the statement started'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void =>
      reject(new StatementCancelledError(`task aborted while waiting for the Databricks session: ${String(signal.reason ?? 'aborted')}`));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
