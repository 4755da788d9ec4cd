/**
 * Errors of the @databricks/sql driver → the project's own classes, once.
 * The driver's error classes are not exported from its index, so they are
 * recognised by shape: `statusCode` (HTTP), `errorCode` + `response.sqlState`
 * (a failed operation), `code` (a socket or TLS error), the message.
 *
 * transient = worth retrying later (BullMQ attempts): busy, starting or
 * unreachable warehouse, a dropped connection, a Delta write conflict.
 * Everything an operator must fix (credentials, privileges, the host or HTTP
 * path, a bad statement) is permanent and says what to do.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { StatementCancelledError, UsageError, WarehouseAuthError, WarehouseError, WarehousePermissionError } from '../errors.js';

export interface ErrorContext {
  readonly signal?: AbortSignal;
  /** The variables that hold the credentials in use, for messages (never their values). */
  readonly credentialVars: string;
  readonly host: string;
  readonly httpPath: string;
  readonly statementTimeoutSeconds: number;
  /** Removes secrets from text that is about to be logged or thrown. */
  readonly redact: (text: string) => string;
}

/** What the driver's errors carry, read defensively. */
interface DriverError {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly type?: unknown;
  readonly statusCode?: unknown;
  readonly errorCode?: unknown;
  readonly payload?: unknown;
  readonly response?: {
    readonly sqlState?: unknown;
    readonly displayMessage?: unknown;
    readonly errorMessage?: unknown;
    readonly status?: unknown;
  };
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const NETWORK = new RegExp(
  [
    'ECONNRESET|ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|ENOTFOUND|EAI_AGAIN',
    'socket hang up|premature close|Request timed out|network timeout',
  ].join('|'),
  'i',
);
const UNAVAILABLE =
  /TEMPORARILY_UNAVAILABLE|warehouse (is )?(starting|stopping|not running|stopped)|cluster (is )?(starting|pending)|service unavailable/i;
const CONFLICT = /DELTA_CONCURRENT|Concurrent(Append|Delete|Transaction)|ConcurrentModification|TRANSACTION_CONFLICT/i;
const INVALID_SESSION = /invalid[\s_]*session|INVALID_HANDLE.*session|session .*(is unknown|not found|expired|closed)/i;

const asObject = (e: unknown): DriverError => (e !== null && typeof e === 'object' ? e : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function httpStatusOf(e: unknown): number | undefined {
  const o = asObject(e);
  if (typeof o.statusCode === 'number') return o.statusCode;
  // RetryError: the last HTTP answer is in its payload.
  const payload = asObject(o.payload) as { response?: { status?: unknown } };
  return typeof payload.response?.status === 'number' ? payload.response.status : undefined;
}

function sqlStateOf(e: unknown): string | undefined {
  return str(asObject(e).response?.sqlState);
}

/** The warehouse's own message: the operation's display message, else the error's. */
function messageOf(e: unknown): string {
  const o = asObject(e);
  const text =
    str(o.response?.displayMessage) ?? str(o.response?.errorMessage) ?? str(o.message) ?? (e instanceof Error ? e.name : String(e));
  const line = text.split('\n')[0] ?? text;
  return line.length > 1000 ? `${line.slice(0, 1000)}…` : line;
}

function codeOf(e: unknown): string | undefined {
  const o = asObject(e);
  const own = str(o.code);
  if (own) return own;
  const inner = asObject(o.payload);
  return str(inner.code);
}

/** A failure meaning "the warehouse is not up yet": worth waiting for while opening a session. */
export function isWarehouseStarting(e: unknown): boolean {
  const status = httpStatusOf(e);
  if (status === 429 || status === 502 || status === 503 || status === 504) return true;
  const text = `${messageOf(e)} ${codeOf(e) ?? ''}`;
  return UNAVAILABLE.test(text) || /Request timed out/i.test(text);
}

/** The session handle is no longer known to the warehouse (expired, or the warehouse restarted). */
export function isInvalidSession(e: unknown): boolean {
  return INVALID_SESSION.test(messageOf(e));
}

function isTransientSqlState(sqlState: string | undefined): boolean {
  if (!sqlState) return false;
  return /^(08|53|57P0|40)/.test(sqlState) || sqlState === '57KD0';
}

/**
 * The body of a failed HTTP answer (the driver leaves it unread): its first
 * line, for the message, and reading it frees the kept-alive socket.
 */
export async function drainHttpBody(e: unknown): Promise<string | undefined> {
  const response = asObject(e).response as { text?: unknown; bodyUsed?: unknown } | undefined;
  if (httpStatusOf(e) === undefined || typeof response?.text !== 'function' || response.bodyUsed === true) return undefined;
  try {
    const read = (response.text as () => Promise<string>).call(response);
    const text = await Promise.race([read, sleep(1000, undefined, { ref: false })]);
    return text?.trim().split('\n')[0]?.slice(0, 300) || undefined;
  } catch {
    return undefined;
  }
}

/** toWarehouseError, with the HTTP answer's body read first. */
export async function describeFailure(e: unknown, ctx: ErrorContext): Promise<Error> {
  return toWarehouseError(e, ctx, await drainHttpBody(e));
}

/** Map anything the driver threw to WarehouseError (or a subclass) / UsageError. */
export function toWarehouseError(e: unknown, ctx: ErrorContext, httpBody?: string): Error {
  if (e instanceof WarehouseError || e instanceof UsageError) return e;
  const o = asObject(e);
  const message = ctx.redact(httpBody ?? messageOf(e));
  const sqlState = sqlStateOf(e);
  const errorCode = str(o.errorCode);
  const status = httpStatusOf(e);
  const code = codeOf(e);
  const opts = (transient: boolean) => ({ cause: e, sqlState, transient });

  if (ctx.signal?.aborted) {
    return new StatementCancelledError(`statement cancelled: ${String(ctx.signal?.reason ?? 'aborted')}`, { cause: e });
  }
  if (status === 401) {
    return new WarehouseAuthError(
      `Databricks rejected the credentials (HTTP 401): check ${ctx.credentialVars} (expired or revoked?)`,
      opts(false),
    );
  }
  if (status === 403) {
    return new WarehouseAuthError(
      `Databricks refused access (HTTP 403): the principal of ${ctx.credentialVars} needs CAN USE on ` +
        `the SQL warehouse at DATABRICKS_HTTP_PATH=${ctx.httpPath}`,
      opts(false),
    );
  }
  if (str(o.name) === 'AuthenticationError' || /invalid_client|unauthorized_client|OAuth is not supported/i.test(message)) {
    return new WarehouseAuthError(`Databricks authentication failed (${message}): check ${ctx.credentialVars}`, opts(false));
  }
  if (status === 404) {
    return new UsageError(
      `no SQL warehouse answers at DATABRICKS_HTTP_PATH=${ctx.httpPath} on ${ctx.host} (HTTP 404): copy ` +
        `the HTTP path from the warehouse's Connection details`,
    );
  }
  if (code && TLS_CODES.has(code)) {
    return new UsageError(
      `the TLS certificate of DATABRICKS_HOST=${ctx.host} is not trusted (${code}): set ` +
        `DATABRICKS_CA_CERT_FILE to the PEM of the CA that signed it`,
    );
  }
  if (status !== undefined) {
    const transient = status === 429 || status >= 500;
    return new WarehouseError(
      `Databricks answered HTTP ${status}${transient ? ' (busy, starting or unavailable; retried later)' : ''}: ${message}`,
      opts(transient),
    );
  }
  if (errorCode === 'CANCELED') return new WarehouseError(`Databricks cancelled the statement (not this service): ${message}`, opts(true));
  if (errorCode === 'TIMEOUT' || sqlState === '57KD0') {
    return new WarehouseError(
      `statement ran longer than DATABRICKS_STATEMENT_TIMEOUT_SECONDS=${ctx.statementTimeoutSeconds} ` +
        `and the warehouse stopped it: ${message}`,
      opts(true),
    );
  }
  if (sqlState === '42501' || /INSUFFICIENT_PERMISSIONS|PERMISSION_DENIED/.test(message)) {
    return new WarehousePermissionError(
      `Databricks denied a privilege (SQLSTATE ${sqlState ?? '42501'}): ${message}: grant the principal ` +
        `of ${ctx.credentialVars} USE CATALOG/USE SCHEMA, SELECT on the source views, CREATE TABLE and ` +
        `MODIFY on the target schema (docs/databricks.md)`,
      opts(false),
    );
  }
  if (sqlState !== undefined || errorCode === 'ERROR') {
    const transient = isTransientSqlState(sqlState) || CONFLICT.test(message) || UNAVAILABLE.test(message);
    return new WarehouseError(`Databricks: ${message}${sqlState ? ` (SQLSTATE ${sqlState})` : ''}`, opts(transient));
  }
  if (str(o.name) === 'RetryError')
    return new WarehouseError(
      `Databricks kept failing after the driver's retries (${str(o.errorCode) ?? 'retry budget spent'}): ${message}`,
      opts(true),
    );
  if ((code && NETWORK.test(code)) || NETWORK.test(message)) {
    return new WarehouseError(`cannot reach Databricks at DATABRICKS_HOST=${ctx.host} (${code ?? message}): retried later`, opts(true));
  }
  if (UNAVAILABLE.test(message) || CONFLICT.test(message) || isInvalidSession(e))
    return new WarehouseError(`Databricks: ${message}`, opts(true));
  // Unknown: retrying is the safer default (attempts are bounded).
  return new WarehouseError(`Databricks: ${message}`, opts(true));
}
