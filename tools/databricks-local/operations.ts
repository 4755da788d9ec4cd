/**
 * Sessions and operations: the state machine the driver polls
 * (GetOperationStatus), cancels (CancelOperation → DuckDB interrupt),
 * and pages through (FetchResults).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { arrowBatches, arrowSchemaBytes, arrowSchemaOf, tableSchema, type ArrowOptions } from './arrow.js';
import { asStatementError, isInterrupt, runPlan, type Outcome } from './execute.js';
import type { ReceivedParameter, SessionRecord, StatementRecord, StatementState } from './log.js';
import { StatementError } from './params.js';
import {
  T,
  failed,
  ok,
  type THandleIdentifier,
  type TFetchResultsResp,
  type TGetOperationStatusResp,
  type TGetResultSetMetadataResp,
} from './thrift.js';
import type { Plan } from './translate.js';
import type { Schema } from 'apache-arrow' with { 'resolution-mode': 'require' };

export interface PagingSettings {
  readonly maxRowsPerFetch: number;
  readonly arrowBatchRows: number;
  readonly vacuumRetentionCheck: boolean;
}

/** A fresh handle: a random UUID as 16 GUID bytes, plus a 16-byte secret. */
export function newHandle(): { id: string; handle: THandleIdentifier } {
  const id = randomUUID();
  return { id, handle: { guid: Buffer.from(id.replace(/-/g, ''), 'hex'), secret: randomBytes(16) } };
}

export const handleKey = (h: THandleIdentifier | undefined | null): string => (h?.guid ? Buffer.from(h.guid).toString('hex') : '');

export class Session {
  readonly operations = new Set<Operation>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly id: string,
    readonly handle: THandleIdentifier,
    readonly record: SessionRecord,
    readonly conn: DuckDBConnection,
  ) {}

  /** Statements of one session run one at a time, as on one DuckDB connection. */
  enqueue<R>(work: () => Promise<R>): Promise<R> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Resolves when everything queued so far has run. */
  drained(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}

const THRIFT_STATE: Record<StatementState, number> = {
  pending: T.TOperationState.PENDING_STATE,
  running: T.TOperationState.RUNNING_STATE,
  finished: T.TOperationState.FINISHED_STATE,
  error: T.TOperationState.ERROR_STATE,
  canceled: T.TOperationState.CANCELED_STATE,
  timedout: T.TOperationState.TIMEDOUT_STATE,
};

export interface StartOptions {
  /** A fault's delay before running. */
  readonly delay?: { delayMs: number; released: Promise<void> };
}

export class Operation {
  readonly id: string;
  readonly handle: THandleIdentifier;
  readonly done: Promise<void>;
  private finish: () => void = () => undefined;
  private outcome: Outcome | undefined;
  private error: StatementError | undefined;
  private inDuckDB = false;
  private wakeDelay: () => void = () => undefined;
  private timer: NodeJS.Timeout | undefined;
  private cursor = 0;
  private schema: Schema | undefined;

  constructor(
    readonly session: Session,
    readonly record: StatementRecord,
    private readonly plan: Plan | StatementError,
    readonly hasResultSet: boolean,
    private readonly arrow: ArrowOptions,
    private readonly params: readonly ReceivedParameter[],
    private readonly settings: PagingSettings,
  ) {
    ({ id: this.id, handle: this.handle } = newHandle());
    this.done = new Promise<void>((resolve) => {
      this.finish = resolve;
    });
    session.operations.add(this);
  }

  get state(): StatementState {
    return this.record.state;
  }

  private get terminal(): boolean {
    return !['pending', 'running'].includes(this.state);
  }

  private settle(state: StatementState, error?: StatementError): void {
    if (this.terminal) return;
    this.record.state = state;
    this.record.endedAt = Date.now();
    if (error) {
      this.error = error;
      this.record.sqlState = error.sqlState;
      this.record.errorMessage = error.message;
    }
    clearTimeout(this.timer);
    this.wakeDelay();
    this.finish();
  }

  /** Run it: fault delay, then the session's DuckDB connection. Never rejects. */
  async start(options: StartOptions = {}): Promise<void> {
    if (this.plan instanceof StatementError) return this.settle('error', this.plan);
    const plan = this.plan;
    const conf = this.session.record.conf;
    const confKey = Object.keys(conf).find((k) => k.toUpperCase() === 'STATEMENT_TIMEOUT');
    const timeout = this.record.queryTimeoutSeconds ?? Number(confKey === undefined ? 0 : conf[confKey]);
    if (timeout > 0) this.timer = setTimeout(() => this.abort('timedout'), timeout * 1000);
    if (options.delay) {
      this.record.state = 'running';
      const { delayMs, released } = options.delay;
      await new Promise<void>((resolve) => {
        this.wakeDelay = resolve;
        void released.then(resolve);
        if (Number.isFinite(delayMs)) setTimeout(resolve, delayMs).unref();
      });
      if (this.terminal) return;
    }
    await this.session.enqueue(async () => {
      if (this.terminal) return;
      this.record.state = 'running';
      this.inDuckDB = true;
      try {
        const outcome = await runPlan(plan, {
          conn: this.session.conn,
          record: this.record,
          params: this.params,
          session: this.session.record,
          vacuumRetentionCheck: this.settings.vacuumRetentionCheck,
          checkAlive: () => {
            if (this.terminal) throw new StatementError('HY008', 'operation no longer running');
          },
        });
        this.outcome = outcome;
        this.record.rowCount = outcome.result?.rowCount;
        this.record.numModifiedRows = outcome.numModifiedRows;
        this.settle('finished');
      } catch (error) {
        if (this.terminal) this.record.interrupted ||= isInterrupt(error);
        else this.settle('error', asStatementError(error));
      } finally {
        this.inDuckDB = false;
      }
    });
  }

  private abort(reason: 'canceled' | 'timedout'): void {
    if (this.terminal) return;
    const running = this.inDuckDB;
    const error =
      reason === 'timedout'
        ? new StatementError(
            '57KD0',
            '[QUERY_EXECUTION_TIMEOUT_EXCEEDED] The execution of the query was cancelled due to exceeding the timeout',
          )
        : undefined;
    this.settle(reason, error);
    if (running) this.session.conn.interrupt();
  }

  cancel(): void {
    this.abort('canceled');
  }

  close(): void {
    this.abort('canceled');
    this.record.closedAt = Date.now();
    this.session.operations.delete(this);
  }

  status(): TGetOperationStatusResp {
    const error = this.error;
    return {
      status: ok(),
      operationState: THRIFT_STATE[this.state],
      hasResultSet: this.hasResultSet || this.error !== undefined,
      ...(error ? { sqlState: error.sqlState, errorMessage: error.message, displayMessage: error.message } : {}),
      ...(this.record.numModifiedRows !== undefined ? { numModifiedRows: this.record.numModifiedRows } : {}),
      operationStarted: this.record.startedAt,
      ...(this.record.endedAt !== undefined ? { operationCompleted: this.record.endedAt } : {}),
    };
  }

  private arrowSchema(): Schema | undefined {
    const rs = this.outcome?.result;
    if (rs && !this.schema) this.schema = arrowSchemaOf(rs, this.arrow);
    return this.schema;
  }

  /** Result metadata; a statement without rows describes an empty schema, a failed one its error. */
  metadata(): TGetResultSetMetadataResp {
    const rs = this.outcome?.result;
    const schema = this.arrowSchema();
    if (this.error) return { status: failed(this.error.sqlState, this.error.message) };
    if (this.state === 'canceled') return { status: failed('HY008', '[OPERATION_CANCELED] The operation was canceled') };
    if (this.state !== 'finished') return { status: failed('HY010', `[INVALID_STATE] operation is ${this.state}`) };
    if (!rs || !schema)
      return { status: ok(), schema: { columns: [] }, resultFormat: T.TSparkRowSetType.ARROW_BASED_SET, lz4Compressed: false };
    return {
      status: ok(),
      schema: tableSchema(rs),
      resultFormat: T.TSparkRowSetType.ARROW_BASED_SET,
      lz4Compressed: false,
      arrowSchema: arrowSchemaBytes(schema),
    };
  }

  /** The next page: at most `maxRows` (and the endpoint's own page size) rows. */
  fetch(maxRows: number, orientation: number | null | undefined): TFetchResultsResp {
    const rs = this.outcome?.result;
    const schema = this.arrowSchema();
    if (this.state !== 'finished' || !rs || !schema) {
      return { status: failed('HY010', `[INVALID_STATE] operation is ${this.state}; it has no rows to fetch`) };
    }
    if (orientation === T.TFetchOrientation.FETCH_FIRST) this.cursor = 0;
    const start = this.cursor;
    const end = Math.min(rs.rowCount, start + Math.max(1, Math.min(maxRows, this.settings.maxRowsPerFetch)));
    this.cursor = end;
    return {
      status: ok(),
      hasMoreRows: end < rs.rowCount,
      results: { startRowOffset: start, rows: [], arrowBatches: arrowBatches(rs, schema, start, end, this.settings.arrowBatchRows) },
    };
  }

  /** True when a first page of `maxRows` holds every row. */
  fitsInOnePage(maxRows: number): boolean {
    const rows = this.outcome?.result?.rowCount ?? 0;
    return rows <= Math.min(maxRows, this.settings.maxRowsPerFetch);
  }
}
