/**
 * The part of @databricks/sql the Databricks engine uses, as interfaces: a
 * connected client opens sessions, a session submits statements, an
 * operation is polled, read, cancelled and closed. The engine takes a
 * DatabricksDriver that makes clients (default: the real driver, in
 * databricks-connection.ts), so its behaviour around the driver (cancel on
 * abort, sessions re-opened, operations closed, errors classified) is tested
 * with a scripted one. The driver's sessions and operations satisfy these
 * shapes as they are.
 */
import type { ExecuteStatementOptions } from '@databricks/sql/dist/contracts/IDBSQLSession.js';
import type { OpenSessionRequest } from '@databricks/sql/dist/contracts/IDBSQLClient.js';
import type { TGetOperationStatusResp } from '@databricks/sql/thrift/TCLIService_types.js';

/** A submitted statement (the driver's IOperation). */
export interface DatabricksOperation {
  readonly id: string;
  /** Its state now (`operationState`: the driver's TOperationState). */
  status(): Promise<Pick<TGetOperationStatusResp, 'operationState'>>;
  /** Resolves once it ended; rejects with the warehouse's error when it failed. */
  finished(): Promise<void>;
  fetchAll(): Promise<object[]>;
  cancel(): Promise<unknown>;
  close(): Promise<unknown>;
}

/** A session (the driver's IDBSQLSession). */
export interface DatabricksSession {
  executeStatement(statement: string, options?: ExecuteStatementOptions): Promise<DatabricksOperation>;
  close(): Promise<unknown>;
}

/** A connected client (the driver's DBSQLClient, with its connection pool). */
export interface DatabricksClient {
  openSession(request: OpenSessionRequest): Promise<DatabricksSession>;
  /** Close the client and free its sockets. */
  close(): Promise<void>;
}
