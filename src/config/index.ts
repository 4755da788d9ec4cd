/**
 * Config: read and validated once, from the environment, into a frozen
 * object. A bad value stops start-up with a ConfigError that lists every bad
 * variable and what it may be, and never echoes a secret.
 */
import { ConfigError } from '../errors.js';
import { TABLE_NAMES, TABLES, retentionEnvVar, type TableName } from '../tables/registry.js';
import type { Engine } from '../warehouse/types.js';
import { VARS, type VarSpec } from './vars.js';
import type { LogFormat } from '../log.js';

export interface DatabricksConfig {
  readonly host: string | undefined;
  readonly httpPath: string | undefined;
  readonly token: string | undefined;
  readonly clientId: string | undefined;
  readonly clientSecret: string | undefined;
  /** PEM file of an extra CA to trust. */
  readonly caCertFile: string | undefined;
  /** Session STATEMENT_TIMEOUT in seconds; 0 = the warehouse's default. */
  readonly statementTimeoutSeconds: number;
  /** How long to wait for a starting warehouse or a queued statement (ms). */
  readonly startupWaitMs: number;
  readonly socketTimeoutMs: number;
  readonly telemetry: boolean;
}

export interface Config {
  readonly warehouse: Engine;
  readonly duckdbPath: string;
  readonly catalog: string;
  readonly schema: string;
  readonly sourceCatalog: string;
  readonly sourceSchema: string;
  readonly scheduleTz: string;
  readonly refreshWindowDays: number;
  /** Guarded publish: the least share of the trailing median a refreshed day may have (0: no guard). */
  readonly publishMinRatio: number;
  readonly retentionDays: Readonly<Record<TableName, number>>;
  readonly databricks: DatabricksConfig;
  readonly vacuumRetainHours: number;
  readonly vacuumAllowShortRetention: boolean;
  readonly optimizeAfterRefresh: boolean;
  readonly logLevel: string;
  readonly logFormat: LogFormat;
  readonly redisUrl: string;
  readonly queuePrefix: string;
  readonly host: string;
  readonly port: number;
  /** The liveness thread's port (HEALTH_PORT; web/liveness.ts), or none. */
  readonly healthPort?: number;
  /** HEALTH_PORT answers 503 once the event loop has not turned for this long. */
  readonly healthMaxStallMs: number;
  /** Trust X-Forwarded-* from the proxy in front. */
  readonly trustProxy: boolean;
  readonly scheduleCron: string;
  /** When the source audit is queued, in scheduleTz. */
  readonly sourceAuditCron: string;
  /** A pause longer than this raises CrmSchedulerPaused. */
  readonly schedulePauseAlertHours: number;
  readonly jobs: {
    readonly attempts: number;
    readonly backoffMs: number;
    readonly timeoutMs: number;
    /** BullMQ lock duration and stalled-check interval. */
    readonly lockMs: number;
    readonly shutdownGraceMs: number;
    readonly keepCompletedDays: number;
    readonly keepFailedDays: number;
    readonly keepCompletedJobs: number;
    readonly keepFailedJobs: number;
    readonly backfillChunkDays: number;
    readonly concurrency: { readonly refresh: number; readonly retention: number; readonly validation: number };
  };
  /** Run records are kept this long (days). */
  readonly runsKeepDays: number;
  readonly warehouseCheckIntervalMs: number;
  readonly slowRunSeconds: number;
  readonly board: {
    readonly user: string | undefined;
    readonly password: string | undefined;
    readonly token: string | undefined;
    readonly auth: 'on' | 'off';
    readonly readOnly: boolean;
  };
  readonly api: ApiConfig;
}

export interface ApiConfig {
  /** SHA-256 digests (hex) of API_KEYS; the keys themselves are not kept. */
  readonly keyHashes: readonly string[];
  readonly jwtIssuer: string | undefined;
  readonly jwtAudience: string | undefined;
  readonly jwksFile: string | undefined;
  readonly jwksUrl: string | undefined;
  readonly jwksTimeoutMs: number;
  readonly jwksCooldownMs: number;
  readonly auth: 'on' | 'off';
  /** CACHE_REDIS_URL: where the cached answers and the rate limits live (default: REDIS_URL). */
  readonly cacheRedisUrl: string;
  /** 0 = cache off. */
  readonly cacheTtlSeconds: number;
  readonly cacheMaxBytes: number;
  readonly cacheMaxEntryBytes: number;
  /** API_LOCAL_CACHE_MAX_BYTES: the in-process tier in front of Redis (0 = off). */
  readonly localCacheMaxBytes: number;
  /** 0 = no limit. */
  readonly rateLimitPerMinute: number;
  readonly rateLimitBurst: number;
  /** Requests served at once by one process; 0 = no cap. */
  readonly maxInFlight: number;
  /** Most rows in one metrics answer. */
  readonly metricsMaxRows: number;
  /** Warehouse reads at once per web process while Redis is unreachable. */
  readonly uncachedConcurrency: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads variables, collecting every problem instead of stopping at the first. */
class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  /** A variable with a default: its value, or its declared default (VARS holds every default, once). */
  get<T>(v: VarSpec<T, string>, fallback?: never): T;
  /** A variable without a default: its value, or `fallback` (e.g. another variable's value) when unset. */
  get<T>(v: VarSpec<T, undefined>, fallback: T): T;
  get<T>(v: VarSpec<T, undefined>): T | undefined;
  get<T>(v: VarSpec<T>, fallback?: T): T | undefined {
    const raw = this.env[v.name];
    if (raw !== undefined && raw.trim() === '' && v.emptyIsError) {
      this.problems.push(
        `${v.name} is set but empty: set a value or unset it for the default${v.default === undefined ? '' : ` '${v.default}'`}`,
      );
      return v.default === undefined ? fallback : v.parse(v.default);
    }
    const value = raw !== undefined && raw !== '' ? raw : v.default;
    if (value === undefined) return fallback;
    try {
      return v.parse(value);
    } catch (why) {
      const reason = why instanceof Error ? why.message : String(why);
      this.problems.push(`${v.name}=${v.secret ? '(hidden)' : `'${value}'`} ${reason}`);
      // Reading goes on to report every problem; the default stands in for the bad value meanwhile.
      return v.default === undefined || value === v.default ? fallback : v.parse(v.default);
    }
  }
}

export function loadConfig(env: Env = process.env): Config {
  const r = new Reader(env);
  const warehouse = r.get(VARS.WAREHOUSE);
  const catalog = r.get(VARS.CRM_CATALOG);
  const schema = r.get(VARS.CRM_SCHEMA);
  const sourceCatalog = r.get(VARS.CRM_SOURCE_CATALOG, catalog);
  const sourceSchema = r.get(VARS.CRM_SOURCE_SCHEMA, schema);
  const refreshWindowDays = r.get(VARS.REFRESH_WINDOW_DAYS);
  const retentionDays = readRetention(r, refreshWindowDays);
  const databricks: DatabricksConfig = Object.freeze({
    host: r.get(VARS.DATABRICKS_HOST),
    httpPath: r.get(VARS.DATABRICKS_HTTP_PATH),
    token: r.get(VARS.DATABRICKS_TOKEN),
    clientId: r.get(VARS.DATABRICKS_CLIENT_ID),
    clientSecret: r.get(VARS.DATABRICKS_CLIENT_SECRET),
    caCertFile: r.get(VARS.DATABRICKS_CA_CERT_FILE),
    statementTimeoutSeconds: r.get(VARS.DATABRICKS_STATEMENT_TIMEOUT_SECONDS),
    startupWaitMs: r.get(VARS.DATABRICKS_STARTUP_WAIT_MS),
    socketTimeoutMs: r.get(VARS.DATABRICKS_SOCKET_TIMEOUT_MS),
    telemetry: r.get(VARS.DATABRICKS_DRIVER_TELEMETRY),
  });
  if (warehouse === 'databricks') r.problems.push(...databricksProblems(databricks));
  if (warehouse === 'duckdb' && sourceCatalog !== catalog) {
    r.problems.push(
      `CRM_SOURCE_CATALOG='${sourceCatalog}' must equal CRM_CATALOG='${catalog}' with WAREHOUSE=duckdb ` +
        `(the DuckDB file is one catalog): set only CRM_SOURCE_SCHEMA`,
    );
  }
  const vacuumRetainHours = r.get(VARS.VACUUM_RETAIN_HOURS);
  const vacuumAllowShortRetention = r.get(VARS.VACUUM_ALLOW_SHORT_RETENTION);
  if (vacuumRetainHours < 168 && !vacuumAllowShortRetention) {
    r.problems.push(
      `VACUUM_RETAIN_HOURS=${vacuumRetainHours} is below 168 hours, which breaks concurrent readers and ` +
        `time travel: use at least 168, or set VACUUM_ALLOW_SHORT_RETENTION=true`,
    );
  }
  const redisUrl = r.get(VARS.REDIS_URL);
  const config: Config = {
    warehouse,
    duckdbPath: r.get(VARS.DUCKDB_PATH),
    catalog,
    schema,
    sourceCatalog,
    sourceSchema,
    scheduleTz: r.get(VARS.SCHEDULE_TZ),
    refreshWindowDays,
    publishMinRatio: r.get(VARS.PUBLISH_MIN_RATIO),
    retentionDays,
    databricks,
    vacuumRetainHours,
    vacuumAllowShortRetention,
    optimizeAfterRefresh: r.get(VARS.OPTIMIZE_AFTER_REFRESH),
    logLevel: r.get(VARS.LOG_LEVEL),
    logFormat: r.get(VARS.LOG_FORMAT),
    redisUrl,
    queuePrefix: r.get(VARS.QUEUE_PREFIX),
    host: r.get(VARS.HOST),
    port: r.get(VARS.PORT),
    healthPort: r.get(VARS.HEALTH_PORT),
    healthMaxStallMs: r.get(VARS.HEALTH_MAX_STALL_MS),
    trustProxy: r.get(VARS.TRUST_PROXY),
    scheduleCron: r.get(VARS.SCHEDULE_CRON),
    sourceAuditCron: r.get(VARS.SOURCE_AUDIT_CRON),
    schedulePauseAlertHours: r.get(VARS.SCHEDULE_PAUSE_ALERT_HOURS),
    jobs: Object.freeze({
      attempts: r.get(VARS.JOB_ATTEMPTS),
      backoffMs: r.get(VARS.JOB_BACKOFF_MS),
      timeoutMs: r.get(VARS.JOB_TIMEOUT_MS),
      lockMs: r.get(VARS.JOB_LOCK_MS),
      shutdownGraceMs: r.get(VARS.SHUTDOWN_GRACE_MS),
      keepCompletedDays: r.get(VARS.KEEP_COMPLETED_DAYS),
      keepFailedDays: r.get(VARS.KEEP_FAILED_DAYS),
      keepCompletedJobs: r.get(VARS.KEEP_COMPLETED_JOBS),
      keepFailedJobs: r.get(VARS.KEEP_FAILED_JOBS),
      backfillChunkDays: r.get(VARS.BACKFILL_CHUNK_DAYS),
      concurrency: Object.freeze({
        refresh: r.get(VARS.REFRESH_CONCURRENCY),
        retention: r.get(VARS.RETENTION_CONCURRENCY),
        validation: r.get(VARS.VALIDATION_CONCURRENCY),
      }),
    }),
    runsKeepDays: r.get(VARS.RUNS_KEEP_DAYS),
    warehouseCheckIntervalMs: r.get(VARS.WAREHOUSE_CHECK_INTERVAL_MS),
    slowRunSeconds: r.get(VARS.SLOW_RUN_SECONDS),
    board: Object.freeze({
      user: r.get(VARS.BOARD_USER),
      password: r.get(VARS.BOARD_PASSWORD),
      token: r.get(VARS.BOARD_TOKEN),
      auth: r.get(VARS.BOARD_AUTH),
      readOnly: r.get(VARS.BOARD_READ_ONLY),
    }),
    api: Object.freeze({
      keyHashes: r.get(VARS.API_KEYS, []),
      jwtIssuer: r.get(VARS.API_JWT_ISSUER),
      jwtAudience: r.get(VARS.API_JWT_AUDIENCE),
      jwksFile: r.get(VARS.API_JWKS_FILE),
      jwksUrl: r.get(VARS.API_JWKS_URL),
      jwksTimeoutMs: r.get(VARS.API_JWKS_TIMEOUT_MS),
      jwksCooldownMs: r.get(VARS.API_JWKS_COOLDOWN_MS),
      auth: r.get(VARS.API_AUTH),
      cacheRedisUrl: r.get(VARS.CACHE_REDIS_URL) ?? redisUrl,
      cacheTtlSeconds: r.get(VARS.CACHE_TTL_SECONDS),
      cacheMaxBytes: r.get(VARS.API_CACHE_MAX_BYTES),
      cacheMaxEntryBytes: r.get(VARS.API_CACHE_MAX_ENTRY_BYTES),
      localCacheMaxBytes: r.get(VARS.API_LOCAL_CACHE_MAX_BYTES),
      rateLimitPerMinute: r.get(VARS.API_RATE_LIMIT_PER_MINUTE),
      rateLimitBurst: r.get(VARS.API_RATE_LIMIT_BURST),
      maxInFlight: r.get(VARS.API_MAX_IN_FLIGHT),
      uncachedConcurrency: r.get(VARS.API_UNCACHED_CONCURRENCY),
      metricsMaxRows: r.get(VARS.API_METRICS_MAX_ROWS),
    }),
  };
  if ((config.api.jwksFile === undefined && config.api.jwksUrl === undefined) !== (config.api.jwtIssuer === undefined)) {
    r.problems.push('API_JWT_ISSUER goes with API_JWKS_FILE or API_JWKS_URL: set the issuer and a key source to accept JWTs, or neither');
  }
  if (config.healthPort !== undefined && config.healthPort !== 0 && config.healthPort === config.port) {
    r.problems.push(`HEALTH_PORT=${config.healthPort} equals PORT: give the liveness listener a port of its own, or unset HEALTH_PORT`);
  }
  if ((config.board.user === undefined) !== (config.board.password === undefined)) {
    r.problems.push('BOARD_USER and BOARD_PASSWORD go together: set both, or use BOARD_TOKEN');
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return Object.freeze(config);
}

/** RETENTION_DAYS, overridden per table, never below the table's refresh window. */
function readRetention(r: Reader, refreshWindowDays: number): Readonly<Record<TableName, number>> {
  const fallback = r.get(VARS.RETENTION_DAYS);
  const out = {} as Record<TableName, number>;
  for (const table of TABLE_NAMES) {
    const name = retentionEnvVar(table);
    const override = r.get({ ...VARS.RETENTION_DAYS, name, default: undefined });
    const days = override ?? fallback;
    const window = TABLES[table].refreshMode === 'rolling-window' ? refreshWindowDays : 1;
    if (days < window) {
      r.problems.push(
        `${override === undefined ? VARS.RETENTION_DAYS.name : name}=${days} is below ${table}'s refresh ` +
          `window of ${window} days (retention would delete what the refresh writes): use at least ` +
          `${window}`,
      );
    }
    out[table] = days;
  }
  return Object.freeze(out);
}

function databricksProblems(d: DatabricksConfig): string[] {
  const problems: string[] = [];
  if (!d.host) problems.push('DATABRICKS_HOST is required with WAREHOUSE=databricks: set the workspace host');
  if (!d.httpPath) problems.push('DATABRICKS_HTTP_PATH is required with WAREHOUSE=databricks: set the SQL warehouse HTTP path');
  const oauth = d.clientId !== undefined || d.clientSecret !== undefined;
  if (d.token && oauth) problems.push('DATABRICKS_TOKEN and DATABRICKS_CLIENT_ID/SECRET are both set: choose one way to authenticate');
  else if (!d.token && !(d.clientId && d.clientSecret)) {
    problems.push('Databricks credentials missing: set DATABRICKS_TOKEN, or both DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET');
  }
  return problems;
}
