/**
 * Every environment variable the service reads, declared once: name,
 * default, meaning and parser. The config loader and the README's
 * configuration table both come from this list.
 */
import { readFileSync } from 'node:fs';
import { CronExpressionParser } from 'cron-parser';
import { isValidTimeZone } from '../dates.js';
import { apiKeyHashes, jwksFile, jwksUrl } from './parsers.js';
import { IDENTIFIER } from '../tables/sql-files.js';
import { LOG_FORMATS } from '../log.js';

export { IDENTIFIER };

export interface VarSpec<T, D extends string | undefined = string | undefined> {
  readonly name: string;
  /** Raw default, parsed like a set value: the only place a default is written. undefined = unset unless given. */
  readonly default: D;
  readonly doc: string;
  /** Never echoed in errors, logs or metrics. */
  readonly secret?: boolean;
  /** Returns the value, or throws a RangeError saying what is allowed. */
  readonly parse: (raw: string) => T;
  /** Set but empty is an error (otherwise it means the default). */
  readonly emptyIsError?: boolean;
}

/** Keeps whether the variable has a default in its type (the config loader relies on it). */
function spec<T, D extends string | undefined>(s: VarSpec<T, D>): VarSpec<T, D> {
  return s;
}

export const oneOf =
  <T extends string>(values: readonly T[]) =>
  (raw: string): T => {
    if ((values as readonly string[]).includes(raw)) return raw as T;
    throw new RangeError(`must be one of ${values.join(' | ')}`);
  };

export const integer =
  (min: number, max: number) =>
  (raw: string): number => {
    if (!/^-?\d+$/.test(raw.trim())) throw new RangeError(`must be a whole number from ${min} to ${max}`);
    const n = Number(raw.trim());
    if (n < min || n > max) throw new RangeError(`must be a whole number from ${min} to ${max}`);
    return n;
  };

/** A decimal number in [min, max], e.g. a ratio. */
export const decimal =
  (min: number, max: number) =>
  (raw: string): number => {
    const n = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!(n >= min && n <= max)) throw new RangeError(`must be a number from ${min} to ${max}, e.g. 0.5`);
    return n;
  };

export const identifier = (raw: string): string => {
  if (!IDENTIFIER.test(raw)) throw new RangeError(`must be an identifier matching ${IDENTIFIER.source} (letters, digits, _)`);
  return raw;
};

export const nonEmpty = (raw: string): string => {
  if (raw.trim() === '') throw new RangeError('must not be empty');
  return raw.trim();
};

export const timeZone = (raw: string): string => {
  if (!isValidTimeZone(raw)) throw new RangeError('must be an IANA time zone, e.g. America/Sao_Paulo or UTC');
  return raw;
};

export const bool = (raw: string): boolean => {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new RangeError('must be true or false');
};

/** The schedule plans today's run at each tick: more often than this is never useful and fills the queues. */
export const MIN_CRON_INTERVAL_MS = 3_600_000;

export const cron = (raw: string): string => {
  const pattern = raw.trim();
  const fields = pattern.split(/\s+/);
  const example = 'e.g. "0 6 * * *" (06:00 every day)';
  if (fields.length === 6) throw new RangeError(`has 6 fields (a seconds field): use 5 fields (minute hour day month weekday), ${example}`);
  if (fields.length !== 5) throw new RangeError(`must be a cron pattern of 5 fields (minute hour day month weekday), ${example}`);
  let fires: Date[];
  try {
    const it = CronExpressionParser.parse(pattern, { tz: 'UTC', currentDate: new Date(Date.UTC(2026, 0, 1)) });
    fires = Array.from({ length: 48 }, () => it.next().toDate());
  } catch (e) {
    throw new RangeError(`is not a valid cron pattern (${e instanceof Error ? e.message : String(e)}): ${example}`);
  }
  const gap = Math.min(...fires.slice(1).map((d, i) => d.getTime() - (fires[i] as Date).getTime()));
  if (gap < MIN_CRON_INTERVAL_MS) {
    throw new RangeError(
      `fires every ${Math.round(gap / 60_000)} minute(s): each tick plans today's run, so at most once an hour is allowed, ${example}`,
    );
  }
  return pattern;
};

export const redisUrl = (raw: string): string => {
  if (!/^rediss?:\/\/[^\s]+$/.test(raw.trim())) throw new RangeError('must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379');
  return raw.trim();
};

/** A workspace host, optionally with a port: `adb-1.2.azuredatabricks.net`, `127.0.0.1:8443`; `https://` and a trailing `/` are dropped. */
export const databricksHost = (raw: string): string => {
  const host = raw
    .trim()
    .replace(/^https:\/\//i, '')
    .replace(/\/+$/, '');
  const m = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/.exec(host);
  const port = m?.[2] === undefined ? undefined : Number(m[2]);
  if (!m || (port !== undefined && (port < 1 || port > 65535))) {
    throw new RangeError('must be a host name with an optional :port and no path, e.g. adb-123.4.azuredatabricks.net or 127.0.0.1:8443');
  }
  return host;
};

/** A readable PEM file holding at least one certificate; returns its path. */
export const pemFile = (raw: string): string => {
  const path = raw.trim();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new RangeError(`must be a readable PEM file (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new RangeError('must be a PEM file with a -----BEGIN CERTIFICATE----- block');
  return path;
};

export const VARS = {
  WAREHOUSE: spec({
    name: 'WAREHOUSE',
    default: 'duckdb',
    doc: 'Engine that runs the SQL: `duckdb` (embedded, no account needed) or `databricks`.',
    parse: oneOf(['duckdb', 'databricks'] as const),
  }),
  DUCKDB_PATH: spec({
    name: 'DUCKDB_PATH',
    default: './data/crm.duckdb',
    doc:
      'DuckDB database file (WAREHOUSE=duckdb), attached as catalog CRM_CATALOG; its folder is created ' +
      'if missing, the file itself only by `init` and `demo seed` (everything else refuses a missing ' +
      'file).',
    parse: nonEmpty,
  }),
  CRM_CATALOG: spec({ name: 'CRM_CATALOG', default: 'hs_franquia', doc: 'Catalog of the materialized tables.', parse: identifier }),
  CRM_SCHEMA: spec({ name: 'CRM_SCHEMA', default: 'gold_connect_bot', doc: 'Schema of the materialized tables.', parse: identifier }),
  CRM_SOURCE_CATALOG: spec({
    name: 'CRM_SOURCE_CATALOG',
    default: undefined,
    doc: 'Catalog of the source views (default: CRM_CATALOG; with DuckDB it must equal CRM_CATALOG: one file).',
    parse: identifier,
  }),
  CRM_SOURCE_SCHEMA: spec({
    name: 'CRM_SOURCE_SCHEMA',
    default: undefined,
    doc: 'Schema of the source views (default: CRM_SCHEMA).',
    parse: identifier,
  }),
  SCHEDULE_TZ: spec({
    name: 'SCHEDULE_TZ',
    default: 'America/Sao_Paulo',
    doc: 'Time zone of the schedule; "today" in this zone is the default reference date D.',
    parse: timeZone,
  }),
  REFRESH_WINDOW_DAYS: spec({
    name: 'REFRESH_WINDOW_DAYS',
    default: '7',
    doc: 'Days recomputed by each refresh of a rolling-window table: [D - (N-1), D].',
    parse: integer(1, 366),
  }),
  PUBLISH_MIN_RATIO: spec({
    name: 'PUBLISH_MIN_RATIO',
    default: '0.5',
    doc:
      'Guarded publish: a refreshed day below this share of the trailing 7-day median is held (the ' +
      'previous rows are kept; `run --accept-anomaly` publishes it). 0 turns the guard off.',
    parse: decimal(0, 1),
  }),
  RETENTION_DAYS: spec({
    name: 'RETENTION_DAYS',
    default: '90',
    doc:
      'Retention deletes rows dated before D - N. Per table: RETENTION_DAYS_<TABLE>, e.g. ' +
      "RETENTION_DAYS_CRM_ACTIONS_OPEN_SNAPSHOT. At least the table's refresh window.",
    parse: integer(1, 36500),
  }),
  DATABRICKS_HOST: spec({
    name: 'DATABRICKS_HOST',
    default: undefined,
    doc: 'Databricks workspace host, e.g. adb-123.4.azuredatabricks.net (WAREHOUSE=databricks); `host:port` when not 443.',
    parse: databricksHost,
  }),
  DATABRICKS_HTTP_PATH: spec({
    name: 'DATABRICKS_HTTP_PATH',
    default: undefined,
    doc: 'HTTP path of the SQL warehouse, e.g. /sql/1.0/warehouses/abc123.',
    parse: nonEmpty,
  }),
  DATABRICKS_TOKEN: spec({
    name: 'DATABRICKS_TOKEN',
    default: undefined,
    doc: 'Personal access token (or DATABRICKS_CLIENT_ID + DATABRICKS_CLIENT_SECRET).',
    secret: true,
    parse: nonEmpty,
  }),
  DATABRICKS_CLIENT_ID: spec({
    name: 'DATABRICKS_CLIENT_ID',
    default: undefined,
    doc: 'OAuth M2M service principal client id.',
    parse: nonEmpty,
  }),
  DATABRICKS_CLIENT_SECRET: spec({
    name: 'DATABRICKS_CLIENT_SECRET',
    default: undefined,
    doc: 'OAuth M2M service principal secret.',
    secret: true,
    parse: nonEmpty,
  }),
  VACUUM_RETAIN_HOURS: spec({
    name: 'VACUUM_RETAIN_HOURS',
    default: '168',
    doc: 'Databricks: retention runs VACUUM ... RETAIN N HOURS after its DELETE. Below 168 only with VACUUM_ALLOW_SHORT_RETENTION=true.',
    parse: integer(0, 87600),
  }),
  VACUUM_ALLOW_SHORT_RETENTION: spec({
    name: 'VACUUM_ALLOW_SHORT_RETENTION',
    default: 'false',
    doc: 'Allow VACUUM_RETAIN_HOURS below 168 (breaks concurrent readers and time travel; logs a warning).',
    parse: bool,
  }),
  OPTIMIZE_AFTER_REFRESH: spec({
    name: 'OPTIMIZE_AFTER_REFRESH',
    default: 'false',
    doc: 'Databricks: run OPTIMIZE on a table after its refresh.',
    parse: bool,
  }),
  REDIS_URL: spec({
    name: 'REDIS_URL',
    default: 'redis://127.0.0.1:6379',
    doc: 'Redis for the queues, job history and recorded state (rediss:// for TLS). Never evicting keys: maxmemory-policy noeviction.',
    secret: true,
    parse: redisUrl,
  }),
  CACHE_REDIS_URL: spec({
    name: 'CACHE_REDIS_URL',
    default: undefined,
    doc:
      "Redis for the read API's cached answers and rate limits (default: REDIS_URL). An instance of its " +
      'own may evict (maxmemory with maxmemory-policy allkeys-lru) without touching the queues and the ' +
      'recorded state, which stay on REDIS_URL (noeviction); a database number of its own on the same ' +
      'instance only keeps the keys apart.',
    secret: true,
    parse: redisUrl,
  }),
  QUEUE_PREFIX: spec({
    name: 'QUEUE_PREFIX',
    default: '{crm}',
    doc:
      'Prefix of every Redis key; the {hash tag} keeps them in one Redis Cluster slot. Set but empty is ' +
      'refused (it would share the default prefix).',
    emptyIsError: true,
    parse: (raw) => {
      if (!/^[A-Za-z0-9_{}:.-]{1,64}$/.test(raw)) throw new RangeError('must be 1-64 characters: letters, digits, _ { } : . -');
      return raw;
    },
  }),
  HOST: spec({
    name: 'HOST',
    default: '127.0.0.1',
    doc: 'Address every role listens on: loopback by default; the container image and the manifests set 0.0.0.0 (all interfaces).',
    parse: nonEmpty,
  }),
  TRUST_PROXY: spec({
    name: 'TRUST_PROXY',
    default: 'false',
    doc:
      'true behind a reverse proxy or ingress that sets X-Forwarded-Proto/Host (and terminates TLS): ' +
      'requests are then judged by what the client used, and HTTPS ones get Strict-Transport-Security. ' +
      'Leave false when clients reach the port directly.',
    parse: bool,
  }),
  PORT: spec({
    name: 'PORT',
    default: '3000',
    doc: 'Port of the web role (Bull Board, /metrics, /healthz, /readyz); 0 picks a free port.',
    parse: integer(0, 65535),
  }),
  HEALTH_PORT: spec({
    name: 'HEALTH_PORT',
    default: undefined,
    doc:
      'Port of a liveness listener on a thread of its own (GET /healthz only), for liveness probes: it answers at once however ' +
      'busy the event loop is (a burst of API requests during a refresh), and 503 once the event loop has not turned for ' +
      'HEALTH_MAX_STALL_MS. Unset: none (/healthz on PORT still answers). The container image and the manifests set 8081; ' +
      '0 picks a free port.',
    parse: integer(0, 65535),
  }),
  HEALTH_MAX_STALL_MS: spec({
    name: 'HEALTH_MAX_STALL_MS',
    default: '20000',
    doc: 'HEALTH_PORT answers 503 (not alive) once the main event loop has not turned for this long (ms).',
    parse: integer(1000, 600_000),
  }),
  SCHEDULE_CRON: spec({
    name: 'SCHEDULE_CRON',
    default: '0 6 * * *',
    doc: 'When the daily run is planned, in SCHEDULE_TZ: a 5-field cron pattern (no seconds field) firing at most once an hour.',
    parse: cron,
  }),
  SOURCE_AUDIT_CRON: spec({
    name: 'SOURCE_AUDIT_CRON',
    default: '0 7 * * 0',
    doc: 'When the source audit (anomalies over the whole source views) is queued, in SCHEDULE_TZ; weekly, Sunday 07:00, by default.',
    parse: cron,
  }),
  SCHEDULE_PAUSE_ALERT_HOURS: spec({
    name: 'SCHEDULE_PAUSE_ALERT_HOURS',
    default: '24',
    doc:
      'A schedule paused (`crm-materializer schedule pause`) longer than this raises CrmSchedulerPaused ' +
      '(exported as crm_scheduler_pause_alert_seconds).',
    parse: integer(1, 8760),
  }),
  JOB_ATTEMPTS: spec({ name: 'JOB_ATTEMPTS', default: '3', doc: 'Attempts per task (1 = no retry).', parse: integer(1, 100) }),
  JOB_BACKOFF_MS: spec({
    name: 'JOB_BACKOFF_MS',
    default: '300000',
    doc: 'Fixed wait between attempts (ms).',
    parse: integer(0, 86_400_000),
  }),
  JOB_LOCK_MS: spec({
    name: 'JOB_LOCK_MS',
    default: '30000',
    doc:
      "How long a worker's claim on a running task lasts unless renewed (it is renewed while the task " +
      'runs), and how often workers look for tasks whose claim expired (ms). A task of a worker that ' +
      'died is put back in the queue within about twice this; each such stall uses one of JOB_ATTEMPTS.',
    parse: integer(1000, 600_000),
  }),
  JOB_TIMEOUT_MS: spec({
    name: 'JOB_TIMEOUT_MS',
    default: '1800000',
    doc: 'Per-task timeout (ms): the running statement is cancelled and the attempt fails.',
    parse: integer(1000, 86_400_000),
  }),
  SHUTDOWN_GRACE_MS: spec({
    name: 'SHUTDOWN_GRACE_MS',
    default: '30000',
    doc: 'On SIGTERM, how long active tasks may finish before they are cancelled and put back in the queue (ms).',
    parse: integer(0, 3_600_000),
  }),
  REFRESH_CONCURRENCY: spec({
    name: 'REFRESH_CONCURRENCY',
    default: '2',
    doc: 'Refresh tasks run at once by one worker process.',
    parse: integer(1, 64),
  }),
  RETENTION_CONCURRENCY: spec({
    name: 'RETENTION_CONCURRENCY',
    default: '1',
    doc: 'Retention tasks run at once by one worker process.',
    parse: integer(1, 64),
  }),
  VALIDATION_CONCURRENCY: spec({
    name: 'VALIDATION_CONCURRENCY',
    default: '1',
    doc: 'Validation tasks run at once by one worker process.',
    parse: integer(1, 64),
  }),
  KEEP_COMPLETED_DAYS: spec({
    name: 'KEEP_COMPLETED_DAYS',
    default: '14',
    doc: 'Completed jobs are kept this long (the run history on the board; at least 2 so a repeated run for the same date is recognised).',
    parse: integer(2, 3650),
  }),
  KEEP_FAILED_DAYS: spec({ name: 'KEEP_FAILED_DAYS', default: '90', doc: 'Failed jobs are kept this long.', parse: integer(1, 3650) }),
  KEEP_COMPLETED_JOBS: spec({
    name: 'KEEP_COMPLETED_JOBS',
    default: '10000',
    doc: 'At most this many completed jobs are kept per queue, however young (bounds Redis memory; a daily run adds 7).',
    parse: integer(100, 1_000_000),
  }),
  KEEP_FAILED_JOBS: spec({
    name: 'KEEP_FAILED_JOBS',
    default: '10000',
    doc: 'At most this many failed jobs are kept per queue, however young.',
    parse: integer(100, 1_000_000),
  }),
  RUNS_KEEP_DAYS: spec({
    name: 'RUNS_KEEP_DAYS',
    default: '90',
    doc:
      'Run records (`crm-materializer runs`) are kept this long: planning a run drops the runs planned ' +
      'more than this many days before it.',
    parse: integer(1, 3650),
  }),
  BACKFILL_CHUNK_DAYS: spec({
    name: 'BACKFILL_CHUNK_DAYS',
    default: '31',
    doc: 'Backfill rebuilds a rolling-window table one chunk of this many days per atomic replace.',
    parse: integer(1, 366),
  }),
  WAREHOUSE_CHECK_INTERVAL_MS: spec({
    name: 'WAREHOUSE_CHECK_INTERVAL_MS',
    default: '30000',
    doc:
      'Workers run a cheap `SELECT 1` this often so /readyz knows the warehouse answers; 0 turns the ' +
      'check (and its part of /readyz) off - on Databricks, keep it above the warehouse auto-stop time ' +
      'or 0 so the check does not keep it running.',
    parse: integer(0, 86_400_000),
  }),
  SLOW_RUN_SECONDS: spec({
    name: 'SLOW_RUN_SECONDS',
    default: '900',
    doc: 'A run longer than this counts in crm_runs_slow_total (the alert fires on a run still going past it).',
    parse: integer(1, 86_400),
  }),
  BOARD_USER: spec({ name: 'BOARD_USER', default: undefined, doc: 'Bull Board basic-auth user (with BOARD_PASSWORD).', parse: nonEmpty }),
  BOARD_PASSWORD: spec({
    name: 'BOARD_PASSWORD',
    default: undefined,
    doc: 'Bull Board basic-auth password.',
    secret: true,
    parse: nonEmpty,
  }),
  BOARD_TOKEN: spec({
    name: 'BOARD_TOKEN',
    default: undefined,
    doc: 'Bull Board bearer token (Authorization: Bearer ...), instead of or besides basic auth.',
    secret: true,
    parse: nonEmpty,
  }),
  BOARD_AUTH: spec({
    name: 'BOARD_AUTH',
    default: 'on',
    doc: '`off` serves the board without credentials (logs a warning); otherwise the web role refuses to start without them.',
    parse: oneOf(['on', 'off'] as const),
  }),
  BOARD_READ_ONLY: spec({
    name: 'BOARD_READ_ONLY',
    default: 'false',
    doc: 'Board shows queues but refuses retry, promote, clean, add and remove.',
    parse: bool,
  }),
  DATABRICKS_CA_CERT_FILE: spec({
    name: 'DATABRICKS_CA_CERT_FILE',
    default: undefined,
    doc:
      'Databricks: PEM file of a CA trusted besides the public roots (a TLS-inspecting proxy, a private ' +
      'CA, the local endpoint of `npm run databricks:local`). Verification always stays on.',
    parse: pemFile,
  }),
  DATABRICKS_STATEMENT_TIMEOUT_SECONDS: spec({
    name: 'DATABRICKS_STATEMENT_TIMEOUT_SECONDS',
    default: '1800',
    doc:
      "Databricks: the session's STATEMENT_TIMEOUT: the warehouse itself stops a statement running " +
      "longer, even if the worker that started it died. 0 = the warehouse's own limit.",
    parse: integer(0, 172_800),
  }),
  DATABRICKS_STARTUP_WAIT_MS: spec({
    name: 'DATABRICKS_STARTUP_WAIT_MS',
    default: '600000',
    doc:
      'Databricks: how long a task waits for an auto-stopped SQL warehouse to start, or for a queued ' +
      'statement to begin, before failing with a retryable error (ms). 0 = do not wait.',
    parse: integer(0, 3_600_000),
  }),
  DATABRICKS_SOCKET_TIMEOUT_MS: spec({
    name: 'DATABRICKS_SOCKET_TIMEOUT_MS',
    default: '300000',
    doc: 'Databricks: an HTTP call to the warehouse that stays silent this long fails (ms); calls safe to repeat are retried.',
    parse: integer(1000, 3_600_000),
  }),
  DATABRICKS_DRIVER_TELEMETRY: spec({
    name: 'DATABRICKS_DRIVER_TELEMETRY',
    default: 'false',
    doc: 'Databricks: let the @databricks/sql driver send its usage telemetry to the workspace (off unless set to true).',
    parse: bool,
  }),
  LOG_LEVEL: spec({
    name: 'LOG_LEVEL',
    default: 'info',
    doc: 'Log level: fatal, error, warn, info, debug, trace or silent.',
    parse: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
  }),
  LOG_FORMAT: spec({
    name: 'LOG_FORMAT',
    default: 'auto',
    doc:
      'Log lines on stderr: `json` (one JSON object a line, for log collectors), `pretty` (readable ' +
      'lines, pino-pretty, in colour on a terminal), or `auto`: pretty on a terminal, JSON otherwise.',
    parse: oneOf(LOG_FORMATS),
  }),
  API_KEYS: spec({
    name: 'API_KEYS',
    default: undefined,
    doc:
      'Read API keys, comma-separated, at least 16 characters each (`Authorization: Bearer <key>` or ' +
      '`X-API-Key: <key>`); kept in memory only as SHA-256 hashes.',
    secret: true,
    parse: apiKeyHashes,
  }),
  API_JWT_ISSUER: spec({
    name: 'API_JWT_ISSUER',
    default: undefined,
    doc: 'Read API: the `iss` a JWT bearer token must carry (with API_JWKS_FILE or API_JWKS_URL).',
    parse: nonEmpty,
  }),
  API_JWT_AUDIENCE: spec({
    name: 'API_JWT_AUDIENCE',
    default: undefined,
    doc: 'Read API: the `aud` a JWT must carry; unset = not checked.',
    parse: nonEmpty,
  }),
  API_JWKS_FILE: spec({
    name: 'API_JWKS_FILE',
    default: undefined,
    doc: 'Read API: JWKS file of the keys that verify JWTs: `oct` keys for HS256, `RSA` keys for RS256 (with API_JWT_ISSUER).',
    parse: jwksFile,
  }),
  API_JWKS_URL: spec({
    name: 'API_JWKS_URL',
    default: undefined,
    doc:
      "Read API: URL of the identity provider's JWKS (https; http only on loopback): its `RSA` keys " +
      'verify RS256 JWTs, besides API_JWKS_FILE. Fetched with a timeout of API_JWKS_TIMEOUT_MS, kept 10 ' +
      'minutes, fetched again at once for a token whose `kid` it does not know (key rotation), at most ' +
      'once per API_JWKS_COOLDOWN_MS.',
    parse: jwksUrl,
  }),
  API_JWKS_TIMEOUT_MS: spec({
    name: 'API_JWKS_TIMEOUT_MS',
    default: '5000',
    doc:
      'Read API: a fetch of API_JWKS_URL slower than this (ms) fails: the token is refused with 401 ' +
      '(one warning until the provider answers again), the next token tries again.',
    parse: integer(100, 60_000),
  }),
  API_JWKS_COOLDOWN_MS: spec({
    name: 'API_JWKS_COOLDOWN_MS',
    default: '30000',
    doc:
      'Read API: least time between two fetches of API_JWKS_URL (ms): a flood of tokens with unknown ' +
      '`kid`s cannot make it fetch more often.',
    parse: integer(0, 3_600_000),
  }),
  API_AUTH: spec({
    name: 'API_AUTH',
    default: 'on',
    doc:
      '`off` serves the read API without credentials (logs a warning); otherwise the web role refuses ' +
      'to start without API_KEYS, API_JWKS_FILE or API_JWKS_URL.',
    parse: oneOf(['on', 'off'] as const),
  }),
  API_CACHE_MAX_BYTES: spec({
    name: 'API_CACHE_MAX_BYTES',
    default: '67108864',
    doc:
      "Read API: most bytes the cached answers may take in the cache's Redis (64 MiB); storing one " +
      'evicts the oldest beyond it. Without CACHE_REDIS_URL the cache shares Redis with the queues, ' +
      'which must never run out of memory.',
    parse: integer(65_536, 17_179_869_184),
  }),
  API_LOCAL_CACHE_MAX_BYTES: spec({
    name: 'API_LOCAL_CACHE_MAX_BYTES',
    default: '33554432',
    doc:
      'Read API: bytes of recently served answers each web process keeps in its own memory (32 MiB), in front of Redis: ' +
      'a hit there asks Redis nothing. Used only while the process hears the generation bumps, so a refresh is seen ' +
      'as soon as through Redis. 0 = off.',
    parse: integer(0, 4_294_967_296),
  }),
  API_CACHE_MAX_ENTRY_BYTES: spec({
    name: 'API_CACHE_MAX_ENTRY_BYTES',
    default: '1048576',
    doc: 'Read API: an answer larger than this (1 MiB) is served but not cached.',
    parse: integer(1024, 67_108_864),
  }),
  API_RATE_LIMIT_PER_MINUTE: spec({
    name: 'API_RATE_LIMIT_PER_MINUTE',
    default: '3000',
    doc:
      'Read API: sustained requests a minute per client (API key, JWT subject, or address with ' +
      'API_AUTH=off), shared by every web pod; past it 429 with Retry-After. The dashboard backend ' +
      'reads for all its users with one key: size it for its peak. 0 = no limit.',
    parse: integer(0, 1_000_000),
  }),
  API_MAX_IN_FLIGHT: spec({
    name: 'API_MAX_IN_FLIGHT',
    default: '64',
    doc:
      'Read API: requests one process serves at once; past it 503 with Retry-After, answered before ' +
      'authentication or any Redis or warehouse work, so a burst (e.g. while a refresh runs in the same ' +
      'process) cannot queue up behind the engine. /healthz is never counted. 0 = no cap.',
    parse: integer(0, 100_000),
  }),
  API_RATE_LIMIT_BURST: spec({
    name: 'API_RATE_LIMIT_BURST',
    default: '600',
    doc: 'Read API: requests a client may make at once before the per-minute rate applies.',
    parse: integer(1, 1_000_000),
  }),
  API_METRICS_MAX_ROWS: spec({
    name: 'API_METRICS_MAX_ROWS',
    default: '4000',
    doc:
      'Read API: most rows one /api/v1/metrics answer may hold (about 1 MB); a range over it is refused ' +
      'with 400 naming the last day that fits, to ask for the range in parts or filter it.',
    parse: integer(1, 1_000_000),
  }),
  API_UNCACHED_CONCURRENCY: spec({
    name: 'API_UNCACHED_CONCURRENCY',
    default: '4',
    doc:
      'Read API: while Redis is unreachable, answers come straight from the warehouse (X-Cache: ' +
      'bypass), at most this many at once per web process; past it 503 with Retry-After.',
    parse: integer(1, 1000),
  }),
  CACHE_TTL_SECONDS: spec({
    name: 'CACHE_TTL_SECONDS',
    default: '14400',
    doc:
      'Read API: how long a cached answer lives in Redis (a refresh invalidates it sooner); 0 turns the ' +
      'cache off (every read queries the warehouse).',
    parse: integer(0, 604_800),
  }),
} as const;
