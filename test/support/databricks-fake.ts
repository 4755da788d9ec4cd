/**
 * A scripted stand-in for @databricks/sql behind the engine's seam
 * (src/warehouse/databricks-client.ts): each statement gets an operation
 * that answers what the test scripted, and every call is recorded. For the
 * engine's own logic only; the real driver is tested against the local
 * endpoint (tools/databricks-local).
 */
import { thrift } from '@databricks/sql';
import type { ExecuteStatementOptions } from '@databricks/sql/dist/contracts/IDBSQLSession.js';
import type { OpenSessionRequest } from '@databricks/sql/dist/contracts/IDBSQLClient.js';
import type { DatabricksClient, DatabricksOperation, DatabricksSession } from '../../src/warehouse/databricks-client.js';
import type { DatabricksDriver, DatabricksSettings } from '../../src/warehouse/databricks-connection.js';

export const State = thrift.TCLIService_types.TOperationState;
type OperationState = (typeof State)[keyof typeof State];

/** What one statement's operation does. */
export interface OperationScript {
  /** Answers of status(), in order; the last one repeats. Default: FINISHED. */
  readonly states?: readonly OperationState[];
  /** Stays RUNNING until cancelled, then CANCELED (finished() rejects as the driver does). */
  readonly untilCancelled?: boolean;
  readonly statusError?: Error;
  /** finished() rejects with it (an operation that ended in ERROR_STATE, TIMEDOUT_STATE…). */
  readonly finishedError?: Error;
  readonly rows?: readonly object[];
  readonly fetchError?: Error;
}

export class FakeOperation implements DatabricksOperation {
  readonly calls: string[] = [];
  cancelled = false;
  closed = false;
  /** Resolves at the first status() call: the statement is being waited for. */
  readonly polled: Promise<void>;
  private markPolled!: () => void;
  private statusCalls = 0;

  constructor(
    readonly id: string,
    readonly sql: string,
    readonly options: ExecuteStatementOptions | undefined,
    private readonly script: OperationScript,
  ) {
    this.polled = new Promise((resolve) => (this.markPolled = resolve));
  }

  status(): Promise<{ operationState?: OperationState }> {
    this.calls.push('status');
    this.markPolled();
    if (this.script.statusError !== undefined) return Promise.reject(this.script.statusError);
    if (this.script.untilCancelled) return Promise.resolve({ operationState: this.cancelled ? State.CANCELED_STATE : State.RUNNING_STATE });
    const states = this.script.states ?? [State.FINISHED_STATE];
    const state = states[Math.min(this.statusCalls, states.length - 1)];
    this.statusCalls += 1;
    return Promise.resolve({ operationState: state });
  }

  finished(): Promise<void> {
    this.calls.push('finished');
    if (this.script.finishedError !== undefined) return Promise.reject(this.script.finishedError);
    if (this.cancelled) return Promise.reject(operationError('HY008', 'The operation was canceled by a client', 'CANCELED'));
    return Promise.resolve();
  }

  fetchAll(): Promise<object[]> {
    this.calls.push('fetchAll');
    if (this.script.fetchError !== undefined) return Promise.reject(this.script.fetchError);
    return Promise.resolve([...(this.script.rows ?? [])]);
  }

  cancel(): Promise<unknown> {
    this.calls.push('cancel');
    this.cancelled = true;
    return Promise.resolve();
  }

  close(): Promise<unknown> {
    this.calls.push('close');
    this.closed = true;
    return Promise.resolve();
  }
}

export class FakeSession implements DatabricksSession {
  closed = false;
  readonly operations: FakeOperation[] = [];

  constructor(
    private readonly driver: FakeDriver,
    readonly request: OpenSessionRequest,
  ) {}

  executeStatement(statement: string, options?: ExecuteStatementOptions): Promise<DatabricksOperation> {
    const error = this.driver.executeErrors.shift();
    if (error !== undefined) return Promise.reject(error);
    const op = new FakeOperation(`op-${this.driver.operations.length + 1}`, statement, options, this.driver.script(statement));
    this.operations.push(op);
    this.driver.operations.push(op);
    return Promise.resolve(op);
  }

  close(): Promise<unknown> {
    this.closed = true;
    return Promise.resolve();
  }
}

export class FakeClient implements DatabricksClient {
  closed = false;
  constructor(private readonly driver: FakeDriver) {}

  openSession(request: OpenSessionRequest): Promise<DatabricksSession> {
    const error = this.driver.openSessionErrors.shift();
    if (error !== undefined) return Promise.reject(error);
    const session = new FakeSession(this.driver, request);
    this.driver.sessions.push(session);
    return Promise.resolve(session);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

export class FakeDriver implements DatabricksDriver {
  readonly clients: FakeClient[] = [];
  readonly sessions: FakeSession[] = [];
  readonly operations: FakeOperation[] = [];
  /** Errors the next connect / openSession / executeStatement calls reject with, in order. */
  readonly connectErrors: Error[] = [];
  readonly openSessionErrors: Error[] = [];
  readonly executeErrors: Error[] = [];
  /** What each statement does (default: finishes with no rows). */
  script: (sql: string) => OperationScript = () => ({});

  connect(): Promise<DatabricksClient> {
    const error = this.connectErrors.shift();
    if (error !== undefined) return Promise.reject(error);
    const client = new FakeClient(this);
    this.clients.push(client);
    return Promise.resolve(client);
  }
}

/** The driver's OperationStateError, by shape: errorCode and the status the operation ended with. */
export function operationError(sqlState: string, message: string, errorCode = 'ERROR'): Error {
  return Object.assign(new Error(message), { name: 'OperationStateError', errorCode, response: { sqlState, displayMessage: message } });
}

/** A call the warehouse answered with an error status (the driver's StatusError: no SQLSTATE). */
export function statusError(message: string): Error {
  return Object.assign(new Error(message), { name: 'Status Error', code: -1 });
}

/** An HTTP answer the driver raised (its THTTPException carries statusCode). */
export function httpError(status: number, message = `HTTP ${status}`): Error {
  return Object.assign(new Error(message), { statusCode: status });
}

/** A socket error (node-fetch's FetchError). */
export function networkError(code: string): Error {
  return Object.assign(new Error(`request to https://adb.example/ failed, reason: ${code}`), { code, type: 'system' });
}

export const FAKE_TOKEN = 'dapi-fake-secret-0123';

export function fakeSettings(overrides: Partial<DatabricksSettings> = {}): DatabricksSettings {
  return {
    hostPort: 'adb.example',
    httpPath: '/sql/1.0/warehouses/fake',
    auth: { kind: 'token', token: FAKE_TOKEN },
    caCert: undefined,
    catalog: 'hs_franquia',
    schema: 'gold_connect_bot',
    statementTimeoutSeconds: 900,
    startupWaitMs: 600_000,
    socketTimeoutMs: 300_000,
    telemetry: false,
    disableRetentionCheck: false,
    ...overrides,
  };
}
