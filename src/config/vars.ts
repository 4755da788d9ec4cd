/**
 * Every environment variable the service reads, declared once: name,
 * default, meaning and parser. The config loader and the README's
 * configuration table both come from this list.
 */
import { isValidTimeZone } from '../dates.js';

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface VarSpec<T> {
  readonly name: string;
  /** Raw default; undefined = unset unless given. */
  readonly default: string | undefined;
  readonly doc: string;
  /** Never echoed in errors, logs or metrics. */
  readonly secret?: boolean;
  /** Returns the value, or throws a RangeError saying what is allowed. */
  readonly parse: (raw: string) => T;
}

function spec<T>(s: VarSpec<T>): VarSpec<T> {
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

export const VARS = {
  WAREHOUSE: spec({ name: 'WAREHOUSE', default: 'duckdb', doc: 'Engine that runs the SQL: `duckdb` (embedded, no account needed) or `databricks`.', parse: oneOf(['duckdb', 'databricks'] as const) }),
  DUCKDB_PATH: spec({ name: 'DUCKDB_PATH', default: './data/crm.duckdb', doc: 'DuckDB database file (WAREHOUSE=duckdb), attached as catalog CRM_CATALOG; its folder is created if missing.', parse: nonEmpty }),
  CRM_CATALOG: spec({ name: 'CRM_CATALOG', default: 'hs_franquia', doc: 'Catalog of the materialized tables.', parse: identifier }),
  CRM_SCHEMA: spec({ name: 'CRM_SCHEMA', default: 'gold_connect_bot', doc: 'Schema of the materialized tables.', parse: identifier }),
  CRM_SOURCE_CATALOG: spec({ name: 'CRM_SOURCE_CATALOG', default: undefined, doc: 'Catalog of the source views (default: CRM_CATALOG; with DuckDB it must equal CRM_CATALOG: one file).', parse: identifier }),
  CRM_SOURCE_SCHEMA: spec({ name: 'CRM_SOURCE_SCHEMA', default: undefined, doc: 'Schema of the source views (default: CRM_SCHEMA).', parse: identifier }),
  SCHEDULE_TZ: spec({ name: 'SCHEDULE_TZ', default: 'America/Sao_Paulo', doc: 'Time zone of the schedule; "today" in this zone is the default reference date D.', parse: timeZone }),
  REFRESH_WINDOW_DAYS: spec({ name: 'REFRESH_WINDOW_DAYS', default: '7', doc: 'Days recomputed by each refresh of a rolling-window table: [D - (N-1), D].', parse: integer(1, 366) }),
  RETENTION_DAYS: spec({ name: 'RETENTION_DAYS', default: '90', doc: "Retention deletes rows dated before D - N. Per table: RETENTION_DAYS_<TABLE>, e.g. RETENTION_DAYS_CRM_ACTIONS_OPEN_SNAPSHOT. At least the table's refresh window.", parse: integer(1, 36500) }),
  DATABRICKS_HOST: spec({ name: 'DATABRICKS_HOST', default: undefined, doc: 'Databricks workspace host, e.g. adb-123.4.azuredatabricks.net (WAREHOUSE=databricks).', parse: nonEmpty }),
  DATABRICKS_HTTP_PATH: spec({ name: 'DATABRICKS_HTTP_PATH', default: undefined, doc: 'HTTP path of the SQL warehouse, e.g. /sql/1.0/warehouses/abc123.', parse: nonEmpty }),
  DATABRICKS_TOKEN: spec({ name: 'DATABRICKS_TOKEN', default: undefined, doc: 'Personal access token (or DATABRICKS_CLIENT_ID + DATABRICKS_CLIENT_SECRET).', secret: true, parse: nonEmpty }),
  DATABRICKS_CLIENT_ID: spec({ name: 'DATABRICKS_CLIENT_ID', default: undefined, doc: 'OAuth M2M service principal client id.', parse: nonEmpty }),
  DATABRICKS_CLIENT_SECRET: spec({ name: 'DATABRICKS_CLIENT_SECRET', default: undefined, doc: 'OAuth M2M service principal secret.', secret: true, parse: nonEmpty }),
  VACUUM_RETAIN_HOURS: spec({ name: 'VACUUM_RETAIN_HOURS', default: '168', doc: 'Databricks: retention runs VACUUM ... RETAIN N HOURS after its DELETE. Below 168 only with VACUUM_ALLOW_SHORT_RETENTION=true.', parse: integer(0, 87600) }),
  VACUUM_ALLOW_SHORT_RETENTION: spec({ name: 'VACUUM_ALLOW_SHORT_RETENTION', default: 'false', doc: 'Allow VACUUM_RETAIN_HOURS below 168 (breaks concurrent readers and time travel; logs a warning).', parse: bool }),
  OPTIMIZE_AFTER_REFRESH: spec({ name: 'OPTIMIZE_AFTER_REFRESH', default: 'false', doc: 'Databricks: run OPTIMIZE on a table after its refresh.', parse: bool }),
  LOG_LEVEL: spec({ name: 'LOG_LEVEL', default: 'info', doc: 'Log level: fatal, error, warn, info, debug, trace or silent.', parse: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const) }),
} as const;
