/**
 * The TCLIService methods the Node driver calls, backed by DuckDB. One
 * handler object per HTTP request, so each call's log record gets its
 * session and operation ids.
 */
import type { DuckEngine } from './engine.js';
import type { Faults } from './faults.js';
import { UnsupportedSql } from './lexer.js';
import type { CallRecord, EndpointLog, SessionRecord, StatementRecord } from './log.js';
import { handleKey, newHandle, Operation, Session, type PagingSettings } from './operations.js';
import { receivedParameters, StatementError } from './params.js';
import {
  T,
  failed,
  invalidHandle,
  ok,
  type Handler,
  type TExecuteStatementReq,
  type TFetchResultsReq,
  type TOpenSessionReq,
  type TOperationHandle,
  type TSessionHandle,
} from './thrift.js';
import { returnsRows, translate, type Plan } from './translate.js';

export interface EndpointSettings extends PagingSettings {
  /** Answer ExecuteStatement with direct results (status, metadata, first page) when it finishes in time. */
  readonly directResults: boolean;
  /** How long ExecuteStatement (runAsync) waits for a statement before answering RUNNING. */
  readonly directResultsWaitMs: number;
  /** serverProtocolVersion reported by OpenSession; parameters need SPARK_CLI_SERVICE_PROTOCOL_V8. */
  readonly protocolVersion: number;
}

export interface EndpointState {
  readonly engine: DuckEngine;
  readonly faults: Faults;
  readonly log: EndpointLog;
  settings: EndpointSettings;
  readonly sessions: Map<string, Session>;
  readonly operations: Map<string, Operation>;
}

const UNSUPPORTED_METHODS = [
  'GetTypeInfo',
  'GetCatalogs',
  'GetSchemas',
  'GetTables',
  'GetTableTypes',
  'GetColumns',
  'GetFunctions',
  'GetPrimaryKeys',
  'GetCrossReference',
  'GetDelegationToken',
  'CancelDelegationToken',
  'RenewDelegationToken',
];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** Close a session's operations and release its DuckDB connection. */
export async function closeSession(state: EndpointState, session: Session): Promise<void> {
  for (const op of session.operations) {
    op.close();
    state.operations.delete(handleKey(op.handle));
  }
  state.sessions.delete(handleKey(session.handle));
  session.record.closedAt ??= Date.now();
  await session.drained();
  state.engine.release(session.conn);
}

function planOf(req: TExecuteStatementReq): Plan | StatementError {
  try {
    if (req.canReadArrowResult === false) {
      throw new StatementError(
        '0A000',
        '[LOCAL_ENDPOINT_UNSUPPORTED] the local endpoint answers only with Arrow results (canReadArrowResult)',
      );
    }
    return translate(req.statement);
  } catch (error) {
    if (error instanceof UnsupportedSql) return new StatementError(error.sqlState, error.message);
    if (error instanceof StatementError) return error;
    throw error;
  }
}

export function makeHandler(state: EndpointState, call: CallRecord): Handler {
  const sessionOf = (h: TSessionHandle | undefined | null): Session | undefined => state.sessions.get(handleKey(h?.sessionId));
  const opOf = (h: TOperationHandle | undefined | null): Operation | undefined => {
    const op = state.operations.get(handleKey(h?.operationId));
    if (op) {
      call.operationId = op.id;
      call.sessionId = op.session.id;
    }
    return op;
  };

  const handler: Handler = {
    OpenSession: async (req: TOpenSessionReq) => {
      const configuration = { ...(req.configuration ?? {}) };
      const { id, handle } = newHandle();
      const record: SessionRecord = {
        sessionId: id,
        openedAt: Date.now(),
        configuration,
        initialCatalog: req.initialNamespace?.catalogName ?? undefined,
        initialSchema: req.initialNamespace?.schemaName ?? undefined,
        clientProtocol: req.client_protocol_i64?.toNumber(true),
        conf: { ...configuration },
        sets: [],
      };
      state.log.sessions.push(record);
      call.sessionId = id;
      const serverProtocolVersion = state.settings.protocolVersion;
      try {
        const conn = await state.engine.connect(record.initialCatalog, record.initialSchema);
        state.sessions.set(handleKey(handle), new Session(id, handle, record, conn));
      } catch (error) {
        record.closedAt = Date.now();
        const e = error instanceof StatementError ? error : new StatementError('XX000', String(error));
        return { status: failed(e.sqlState, e.message), serverProtocolVersion };
      }
      return {
        status: ok(),
        serverProtocolVersion,
        sessionHandle: { sessionId: handle },
        configuration: {},
        ...(req.initialNamespace ? { initialNamespace: req.initialNamespace } : {}),
        canUseMultipleCatalogs: true,
      };
    },

    CloseSession: async (req: { sessionHandle: TSessionHandle }) => {
      const session = sessionOf(req.sessionHandle);
      if (!session) return { status: invalidHandle('session') };
      call.sessionId = session.id;
      await closeSession(state, session);
      return { status: ok() };
    },

    GetInfo: (req: { sessionHandle: TSessionHandle; infoType: number }) => {
      if (!sessionOf(req.sessionHandle)) return { status: invalidHandle('session'), infoValue: {} };
      const values: Record<number, string> = {
        [T.TGetInfoType.CLI_SERVER_NAME]: 'Databricks SQL (local DuckDB endpoint)',
        [T.TGetInfoType.CLI_DBMS_NAME]: 'Spark SQL',
        [T.TGetInfoType.CLI_DBMS_VER]: '3.5.0',
      };
      const value = values[req.infoType];
      if (value === undefined) return { status: failed('0A000', `GetInfo type ${req.infoType} is not supported`), infoValue: {} };
      return { status: ok(), infoValue: { stringValue: value } };
    },

    ExecuteStatement: async (req: TExecuteStatementReq) => {
      const session = sessionOf(req.sessionHandle);
      call.statement = req.statement;
      if (!session) return { status: invalidHandle('session') };
      call.sessionId = session.id;
      const params = receivedParameters(req.parameters);
      const timeout = req.queryTimeout?.toNumber(true);
      let plan = planOf(req);
      const record: StatementRecord = {
        operationId: '',
        sessionId: session.id,
        statement: req.statement,
        parameters: params,
        confOverlay: { ...(req.confOverlay ?? {}) },
        runAsync: req.runAsync === true,
        queryTimeoutSeconds: timeout !== undefined && timeout > 0 ? timeout : undefined,
        startedAt: Date.now(),
        duckdb: [],
        state: 'pending',
        executed: false,
        interrupted: false,
      };
      if (!(plan instanceof StatementError)) record.kind = plan.kind;
      const injected = state.faults.takeStatementError(req.statement);
      if (injected) {
        plan = new StatementError(injected.sqlState, injected.message);
        record.fault = 'statementError';
      }
      const delay = plan instanceof StatementError ? undefined : state.faults.takeSlow(req.statement);
      if (delay) record.fault = 'slowStatement';
      // DDL without rows reports hasResultSet false; anything failing reports true,
      // so the driver polls the state and raises the error with its SQLSTATE.
      const hasResultSet = plan instanceof StatementError || returnsRows(plan);
      const arrow = {
        timestampAsArrow: req.useArrowNativeTypes?.timestampAsArrow ?? false,
        decimalAsArrow: req.useArrowNativeTypes?.decimalAsArrow ?? false,
      };
      const op = new Operation(session, record, plan, hasResultSet, arrow, params, state.settings);
      record.operationId = op.id;
      state.log.statements.push(record);
      state.operations.set(handleKey(op.handle), op);
      call.operationId = op.id;

      void op.start(delay ? { delay } : {});
      if (req.runAsync === true) await Promise.race([op.done, sleep(state.settings.directResultsWaitMs)]);
      else await op.done;

      const operationHandle = { operationId: op.handle, operationType: T.TOperationType.EXECUTE_STATEMENT, hasResultSet };
      if (!req.getDirectResults || !state.settings.directResults) return { status: ok(), operationHandle };
      if (op.state !== 'finished') return { status: ok(), operationHandle, directResults: { operationStatus: op.status() } };
      const maxRows = req.getDirectResults.maxRows.toNumber(true);
      const resultSet = hasResultSet ? op.fetch(maxRows, T.TFetchOrientation.FETCH_FIRST) : undefined;
      const directResults = { operationStatus: op.status(), resultSetMetadata: op.metadata(), ...(resultSet ? { resultSet } : {}) };
      if (resultSet?.hasMoreRows) return { status: ok(), operationHandle, directResults };
      // Everything was sent: the warehouse closes the operation itself.
      op.close();
      state.operations.delete(handleKey(op.handle));
      return { status: ok(), operationHandle, directResults: { ...directResults, closeOperation: { status: ok() } } };
    },

    GetOperationStatus: (req: { operationHandle: TOperationHandle }) => {
      const op = opOf(req.operationHandle);
      return op ? op.status() : { status: invalidHandle('operation') };
    },

    CancelOperation: (req: { operationHandle: TOperationHandle }) => {
      const op = opOf(req.operationHandle);
      if (!op) return { status: invalidHandle('operation') };
      op.cancel();
      return { status: ok() };
    },

    CloseOperation: (req: { operationHandle: TOperationHandle }) => {
      const op = opOf(req.operationHandle);
      if (!op) return { status: invalidHandle('operation') };
      op.close();
      state.operations.delete(handleKey(op.handle));
      return { status: ok() };
    },

    GetResultSetMetadata: async (req: { operationHandle: TOperationHandle }) => {
      const op = opOf(req.operationHandle);
      if (!op) return { status: invalidHandle('operation') };
      // The driver asks for metadata of a statement without rows (hasResultSet
      // false) without waiting for it: answer once it has ended.
      await op.done;
      return op.metadata();
    },

    FetchResults: (req: TFetchResultsReq) => {
      const op = opOf(req.operationHandle);
      return op ? op.fetch(req.maxRows.toNumber(true), req.orientation) : { status: invalidHandle('operation') };
    },
  };
  for (const method of UNSUPPORTED_METHODS) {
    handler[method] = (req: object) => ({
      status: failed(
        '0A000',
        `[LOCAL_ENDPOINT_UNSUPPORTED] ${method} (${Object.keys(req).join(', ')}) is not supported by the local Databricks endpoint`,
      ),
    });
  }
  return handler;
}
