/**
 * Connecting to a Databricks SQL warehouse: the driver's options from the
 * config, and a session opened in the service's catalog and schema with its
 * statement timeout and query tags. A SQL warehouse auto-stops; while it
 * starts again, opening a session is refused (HTTP 503/429) or times out:
 * that is retried with backoff within DATABRICKS_STARTUP_WAIT_MS, logging
 * that the service is waiting for the warehouse.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DBSQLClient } from '@databricks/sql';
import type { ConnectionOptions } from '@databricks/sql/dist/contracts/IDBSQLClient.js';
import type { Config } from '../config/index.js';
import { UsageError, WarehouseError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DatabricksClient, DatabricksSession } from './databricks-client.js';
import { drainHttpBody, httpStatusOf, isWarehouseStarting, toWarehouseError, type ErrorContext } from './databricks-errors.js';
import { SESSION_TAGS, splitHost } from './databricks-params.js';

/** Delta refuses VACUUM below 168 hours unless this is false in the session. */
export const RETENTION_CHECK_CONF = 'spark.databricks.delta.retentionDurationCheck.enabled';
const MIN_SAFE_RETAIN_HOURS = 168;

export type DatabricksAuth =
  { readonly kind: 'token'; readonly token: string } | { readonly kind: 'oauth'; readonly clientId: string; readonly clientSecret: string };

export interface DatabricksSettings {
  /** DATABRICKS_HOST as configured (host[:port]). */
  readonly hostPort: string;
  readonly httpPath: string;
  readonly auth: DatabricksAuth;
  /** PEM of an extra CA to trust (DATABRICKS_CA_CERT_FILE). */
  readonly caCert: string | undefined;
  readonly catalog: string;
  readonly schema: string;
  readonly statementTimeoutSeconds: number;
  readonly startupWaitMs: number;
  readonly socketTimeoutMs: number;
  readonly telemetry: boolean;
  /** VACUUM below 168 hours was explicitly allowed: the session turns Delta's retention check off. */
  readonly disableRetentionCheck: boolean;
}

export function databricksSettings(config: Config): DatabricksSettings {
  const d = config.databricks;
  // loadConfig has checked these with WAREHOUSE=databricks; a caller building a Config by hand gets the same words.
  if (!d.host || !d.httpPath) throw new UsageError('DATABRICKS_HOST and DATABRICKS_HTTP_PATH are required with WAREHOUSE=databricks');
  let auth: DatabricksAuth;
  if (d.token) auth = { kind: 'token', token: d.token };
  else if (d.clientId && d.clientSecret) auth = { kind: 'oauth', clientId: d.clientId, clientSecret: d.clientSecret };
  else
    throw new UsageError('Databricks credentials missing: set DATABRICKS_TOKEN, or both DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET');
  return {
    hostPort: d.host,
    httpPath: d.httpPath,
    auth,
    caCert: d.caCertFile === undefined ? undefined : readFileSync(d.caCertFile, 'utf8'),
    catalog: config.catalog,
    schema: config.schema,
    statementTimeoutSeconds: d.statementTimeoutSeconds,
    startupWaitMs: d.startupWaitMs,
    socketTimeoutMs: d.socketTimeoutMs,
    telemetry: d.telemetry,
    disableRetentionCheck: config.vacuumAllowShortRetention && config.vacuumRetainHours < MIN_SAFE_RETAIN_HOURS,
  };
}

/** The secrets in the settings, to keep out of every log line and message. */
export function secretsOf(s: DatabricksSettings): string[] {
  return s.auth.kind === 'token' ? [s.auth.token] : [s.auth.clientSecret];
}

export function credentialVars(s: DatabricksSettings): string {
  return s.auth.kind === 'token' ? 'DATABRICKS_TOKEN' : 'DATABRICKS_CLIENT_ID/DATABRICKS_CLIENT_SECRET (OAuth M2M)';
}

/** Makes connected clients: the real driver below, or a scripted one in tests. */
export interface DatabricksDriver {
  connect(settings: DatabricksSettings, log: Logger, redact: (text: string) => string): Promise<DatabricksClient>;
}

/** The real driver, @databricks/sql. */
export const realDriver: DatabricksDriver = { connect: connectClient };

/** A client connected (no request is made yet); the driver's own log goes to ours at debug level. */
export async function connectClient(s: DatabricksSettings, log: Logger, redact: (text: string) => string): Promise<DatabricksClient> {
  const client = new DBSQLClient({ logger: { log: (level, message) => log.debug({ driverLevel: level }, redact(message)) } });
  client.on('error', (err: unknown) => log.debug({ error: redact(String(err)) }, 'Databricks driver connection error'));
  const { host, port } = splitHost(s.hostPort);
  const base = {
    host,
    port,
    path: s.httpPath,
    socketTimeout: s.socketTimeoutMs,
    telemetryEnabled: s.telemetry,
    // BIGINT as bigint (narrowed to number where exact by normalizeRow), DECIMAL as exact text.
    preserveBigNumericPrecision: true,
    userAgentEntry: 'crm-materializer',
    ...(s.caCert === undefined ? {} : { customCaCert: s.caCert }),
  };
  const options: ConnectionOptions =
    s.auth.kind === 'token'
      ? { ...base, authType: 'access-token', token: s.auth.token }
      : // A Databricks service principal's OAuth secret (also on Azure, where the driver would otherwise use Entra ID).
        {
          ...base,
          authType: 'databricks-oauth',
          oauthClientId: s.auth.clientId,
          oauthClientSecret: s.auth.clientSecret,
          useDatabricksOAuthInAzure: true,
        };
  await client.connect(options);
  return {
    openSession: (request) => client.openSession(request),
    close: async () => {
      const agent = await client
        .getConnectionProvider()
        .then((p) => p.getAgent())
        .catch(() => undefined);
      try {
        await client.close();
      } finally {
        // The kept-alive sockets would hold the process open.
        agent?.destroy();
      }
    },
  };
}

/**
 * Open the session, waiting for a starting warehouse within the budget.
 * `signal` is the warehouse object's lifetime: close() stops the wait.
 */
export async function openSession(
  client: DatabricksClient,
  s: DatabricksSettings,
  log: Logger,
  errors: ErrorContext,
  signal: AbortSignal,
): Promise<DatabricksSession> {
  const started = Date.now();
  let backoff = 500;
  for (let attempt = 1; ; attempt += 1) {
    let session: DatabricksSession;
    try {
      session = await client.openSession({
        initialCatalog: s.catalog,
        initialSchema: s.schema,
        configuration: { STATEMENT_TIMEOUT: String(s.statementTimeoutSeconds) },
        queryTags: { ...SESSION_TAGS },
      });
    } catch (e) {
      const body = await drainHttpBody(e);
      if (!isWarehouseStarting(e)) throw toWarehouseError(e, errors, body);
      const waitedMs = Date.now() - started;
      const retryInMs = Math.max(backoff, retryAfterMs(e) ?? 0);
      const reason = errors.redact(body ?? (e instanceof Error ? e.message : String(e)));
      if (waitedMs + retryInMs > s.startupWaitMs) {
        throw new WarehouseError(
          `the Databricks SQL warehouse at DATABRICKS_HTTP_PATH=${s.httpPath} did not accept a session ` +
            `within DATABRICKS_STARTUP_WAIT_MS=${s.startupWaitMs} (${reason}): retried later`,
          { cause: e, transient: true },
        );
      }
      log.info({ attempt, waitedMs, retryInMs, httpStatus: httpStatusOf(e), reason }, 'waiting for the Databricks SQL warehouse to start');
      await sleep(retryInMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted)
        throw new WarehouseError('closed while waiting for the Databricks SQL warehouse to start', { cause: e, transient: true });
      backoff = Math.min(backoff * 2, 30_000);
      continue;
    }
    if (attempt > 1) log.info({ waitedMs: Date.now() - started }, 'Databricks SQL warehouse is up');
    if (s.disableRetentionCheck) await disableRetentionCheck(session, errors);
    return session;
  }
}

/** Only when VACUUM below 168 hours was explicitly allowed (warned about at start-up). */
async function disableRetentionCheck(session: DatabricksSession, errors: ErrorContext): Promise<void> {
  try {
    const op = await session.executeStatement(`SET ${RETENTION_CHECK_CONF} = false`);
    try {
      await op.fetchAll();
    } finally {
      await op.close();
    }
  } catch (e) {
    await session.close().catch(() => undefined);
    throw toWarehouseError(e, errors, await drainHttpBody(e));
  }
}

/** `Retry-After` seconds of an HTTP answer, in ms. */
function retryAfterMs(e: unknown): number | undefined {
  const response = (e as { response?: { headers?: { get?: (name: string) => string | null } } } | null)?.response;
  const header = typeof response?.headers?.get === 'function' ? response.headers.get('Retry-After') : null;
  const seconds = header === null ? NaN : Number(header);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, 60_000) : undefined;
}
