/**
 * The driver's own generated Thrift code (TCLIService) and the `thrift`
 * runtime it uses, loaded through CommonJS and typed with the few shapes the
 * local endpoint reads or writes. Structs are written as plain objects: the
 * generated constructors copy and wrap them.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A node-int64 value as the generated readers produce it. */
export interface Int64Like {
  toNumber(allowImprecise?: boolean): number;
}

export interface ThriftTransport {
  readonly __transport?: never;
}
export interface ThriftProtocol {
  writeMessageBegin(name: string, type: number, seqid: number): void;
  writeMessageEnd(): void;
  flush(): void;
}
interface TransportClass {
  new (buffer: undefined, onFlush: (buf: Buffer) => void): ThriftTransport;
  receiver(callback: (transport: ThriftTransport) => void, seqid?: number): (data: Buffer) => void;
}
interface ProtocolClass {
  new (transport: ThriftTransport): ThriftProtocol;
}
interface ThriftRuntime {
  TBufferedTransport: TransportClass;
  TBinaryProtocol: ProtocolClass;
  Thrift: {
    MessageType: { EXCEPTION: number };
    TApplicationExceptionType: { UNKNOWN_METHOD: number; INTERNAL_ERROR: number };
    TApplicationException: new (type: number, message: string) => { write(output: ThriftProtocol): void };
  };
}

/** TCLIService methods; each takes exactly one argument (the request), so the Processor treats them as promise-style. */
export type Handler = Record<string, (req: never) => object | Promise<object>>;

interface ServiceModule {
  Processor: new (handler: Handler) => { process(input: ThriftProtocol, output: ThriftProtocol): void };
}

type Enum<K extends string> = Readonly<Record<K, number>>;
interface TypesModule {
  TProtocolVersion: Enum<'SPARK_CLI_SERVICE_PROTOCOL_V8'>;
  TStatusCode: Enum<'SUCCESS_STATUS' | 'ERROR_STATUS' | 'INVALID_HANDLE_STATUS'>;
  TOperationState: Enum<
    | 'INITIALIZED_STATE'
    | 'RUNNING_STATE'
    | 'FINISHED_STATE'
    | 'CANCELED_STATE'
    | 'CLOSED_STATE'
    | 'ERROR_STATE'
    | 'TIMEDOUT_STATE'
    | 'PENDING_STATE'
  >;
  TOperationType: Enum<'EXECUTE_STATEMENT'>;
  TSparkRowSetType: Enum<'ARROW_BASED_SET'>;
  TFetchOrientation: Enum<'FETCH_FIRST' | 'FETCH_NEXT'>;
  TTypeId: Enum<
    | 'BOOLEAN_TYPE'
    | 'TINYINT_TYPE'
    | 'SMALLINT_TYPE'
    | 'INT_TYPE'
    | 'BIGINT_TYPE'
    | 'FLOAT_TYPE'
    | 'DOUBLE_TYPE'
    | 'STRING_TYPE'
    | 'TIMESTAMP_TYPE'
    | 'DECIMAL_TYPE'
    | 'NULL_TYPE'
    | 'DATE_TYPE'
  >;
  TGetInfoType: Enum<'CLI_SERVER_NAME' | 'CLI_DBMS_NAME' | 'CLI_DBMS_VER'>;
}

export const thrift = require('thrift') as ThriftRuntime;
export const TCLIService = require('@databricks/sql/thrift/TCLIService.js') as ServiceModule;
export const T = require('@databricks/sql/thrift/TCLIService_types.js') as TypesModule;

// ---- request shapes (as read by the generated code) ----

export interface THandleIdentifier {
  guid: Buffer;
  secret: Buffer;
}
export interface TSessionHandle {
  sessionId: THandleIdentifier;
}
export interface TOperationHandle {
  operationId: THandleIdentifier;
  operationType: number;
  hasResultSet: boolean;
}
export interface TSparkParameter {
  ordinal?: number | null;
  name?: string | null;
  type?: string | null;
  value?: { stringValue?: string | null; doubleValue?: number | null; booleanValue?: boolean | null } | null;
}
export interface TOpenSessionReq {
  client_protocol_i64?: Int64Like | null;
  configuration?: Record<string, string> | null;
  initialNamespace?: { catalogName?: string | null; schemaName?: string | null } | null;
}
export interface TExecuteStatementReq {
  sessionHandle: TSessionHandle;
  statement: string;
  confOverlay?: Record<string, string> | null;
  runAsync?: boolean | null;
  getDirectResults?: { maxRows: Int64Like } | null;
  queryTimeout?: Int64Like | null;
  canReadArrowResult?: boolean | null;
  useArrowNativeTypes?: { timestampAsArrow?: boolean | null; decimalAsArrow?: boolean | null } | null;
  parameters?: TSparkParameter[] | null;
}
export interface TFetchResultsReq {
  operationHandle: TOperationHandle;
  orientation?: number | null;
  maxRows: Int64Like;
}

// ---- response shapes ----

export interface TStatus {
  statusCode: number;
  sqlState?: string;
  errorCode?: number;
  errorMessage?: string;
  displayMessage?: string;
}
export interface TColumnDesc {
  columnName: string;
  position: number;
  typeDesc: {
    types: Array<{
      primitiveEntry: {
        type: number;
        typeQualifiers?: { qualifiers: Record<string, { i32Value: number }> };
      };
    }>;
  };
}
export interface TTableSchema {
  columns: TColumnDesc[];
}
export interface TSparkArrowBatch {
  batch: Buffer;
  rowCount: number;
}
export interface TRowSet {
  startRowOffset: number;
  rows: never[];
  arrowBatches: TSparkArrowBatch[];
}
export interface TGetOperationStatusResp {
  status: TStatus;
  operationState: number;
  hasResultSet?: boolean;
  sqlState?: string;
  errorCode?: number;
  errorMessage?: string;
  displayMessage?: string;
  numModifiedRows?: number;
  operationStarted?: number;
  operationCompleted?: number;
}
export interface TGetResultSetMetadataResp {
  status: TStatus;
  schema?: TTableSchema;
  resultFormat?: number;
  lz4Compressed?: boolean;
  arrowSchema?: Buffer;
}
export interface TFetchResultsResp {
  status: TStatus;
  hasMoreRows?: boolean;
  results?: TRowSet;
}

export const ok = (): TStatus => ({ statusCode: T.TStatusCode.SUCCESS_STATUS });

export function failed(sqlState: string, message: string): TStatus {
  return { statusCode: T.TStatusCode.ERROR_STATUS, sqlState, errorMessage: message, displayMessage: message };
}

export function invalidHandle(what: string): TStatus {
  const message = `[INVALID_HANDLE] ${what} is unknown or closed`;
  return { statusCode: T.TStatusCode.INVALID_HANDLE_STATUS, sqlState: 'HY000', errorMessage: message, displayMessage: message };
}

/** The method name and sequence id of a binary-protocol message, without consuming it. */
export function peekMessage(body: Buffer): { name: string; seqid: number } | undefined {
  try {
    const first = body.readInt32BE(0);
    if (first < 0) {
      const len = body.readInt32BE(4);
      return { name: body.toString('utf8', 8, 8 + len), seqid: body.readInt32BE(8 + len) };
    }
    return { name: body.toString('utf8', 4, 4 + first), seqid: body.readInt32BE(5 + first) };
  } catch {
    return undefined;
  }
}
