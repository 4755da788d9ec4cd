/**
 * The table registry: every materialized table declared once. Refresh,
 * retention, validation, metrics labels, the CLI and the docs read it.
 * Adding a table = its SQL files + one entry here + a test.
 */

export type RefreshMode =
  /** Rows for [D - (window - 1), D] are recomputed (late data lands within the window). */
  | 'rolling-window'
  /** Rows for D alone are recomputed: a picture of the sources as of D. */
  | 'daily-snapshot';

export type SourceView = 'vw_crm_verification' | 'vw_crm_verification_question' | 'vw_crm_action';
export const SOURCE_VIEWS: readonly SourceView[] = ['vw_crm_verification', 'vw_crm_verification_question', 'vw_crm_action'];

export interface TableSpec {
  readonly name: string;
  /** The partition/date column: refresh predicates, retention and validation use it. */
  readonly dateColumn: string;
  readonly refreshMode: RefreshMode;
  /** The views its SELECT reads (checked before a refresh runs). */
  readonly sources: readonly SourceView[];
  /**
   * The table whose rows for the same date this one is computed from: its
   * refresh runs after that table's, in a run and in a flow.
   */
  readonly derivedFrom?: string;
  /** SQL files under sql/: the column DDL and the SELECT that computes rows for the window. */
  readonly sql: { readonly create: string; readonly select: string };
  /**
   * Validation: the SQL file listing the days of the run's window whose
   * sources had rows, i.e. the days the table must hold (a day without source
   * rows legitimately has none).
   */
  readonly expectedDays: string;
  /**
   * Guarded publish (docs/data-contract-notes.md): what a refreshed day is
   * compared on with the days before it: the sum of `column` (null: the row
   * count) over the `spanDays` days ending D.
   */
  readonly publishGuard: { readonly column: string | null; readonly spanDays: number; readonly what: string };
  readonly freshness: {
    /** Status `warning` when D - max(date column) exceeds this many days. */
    readonly warningLagDays: number;
    /** Status `critical` when the lag exceeds this many days (null: lag alone never makes it critical). */
    readonly criticalLagDays: number | null;
    /** Status `critical` when max(atualizado_em) is older than this. */
    readonly maxWriteAgeHours: number;
  };
}

export const TABLES = {
  crm_metrics_daily: {
    name: 'crm_metrics_daily',
    dateColumn: 'data_referencia',
    refreshMode: 'rolling-window',
    sources: ['vw_crm_verification', 'vw_crm_verification_question'],
    sql: { create: '01_create_crm_metrics_daily.sql', select: '04_refresh_crm_metrics_daily.sql' },
    // A day of the window with a verification has rows.
    expectedDays: '17_window_days_verifications.sql',
    // A week always has working days: weekends without verifications are no anomaly.
    publishGuard: { column: 'total_verificacoes', spanDays: 7, what: 'verifications in the 7 days ending' },
    // A weekend without verifications leaves the metrics table behind: only a warning.
    freshness: { warningLagDays: 1, criticalLagDays: null, maxWriteAgeHours: 48 },
  },
  crm_action_priorities_daily: {
    name: 'crm_action_priorities_daily',
    dateColumn: 'data_referencia',
    refreshMode: 'daily-snapshot',
    // Counted from the snapshot rows for D: the actions view is read once per run.
    sources: [],
    derivedFrom: 'crm_actions_open_snapshot',
    sql: { create: '02_create_crm_action_priorities_daily.sql', select: '05_refresh_crm_action_priorities_daily.sql' },
    // D has rows when an action is open as of D (as the snapshot it is counted from).
    expectedDays: '18_window_days_open_actions.sql',
    publishGuard: { column: null, spanDays: 1, what: 'rows on' },
    freshness: { warningLagDays: 1, criticalLagDays: 2, maxWriteAgeHours: 48 },
  },
  crm_actions_open_snapshot: {
    name: 'crm_actions_open_snapshot',
    dateColumn: 'data_snapshot',
    refreshMode: 'daily-snapshot',
    sources: ['vw_crm_action'],
    sql: { create: '03_create_crm_actions_open_snapshot.sql', select: '06_refresh_crm_actions_open_snapshot.sql' },
    expectedDays: '18_window_days_open_actions.sql',
    publishGuard: { column: null, spanDays: 1, what: 'open actions on' },
    freshness: { warningLagDays: 1, criticalLagDays: 2, maxWriteAgeHours: 48 },
  },
} as const satisfies Record<string, TableSpec>;

export type TableName = keyof typeof TABLES;
export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

export function isTableName(name: string): name is TableName {
  return Object.hasOwn(TABLES, name);
}

/**
 * The layout for the dashboard's reads: within a date, rows clustered by
 * organization and location (Databricks: CLUSTER BY; DuckDB: insert order).
 */
export function clusteringColumns(table: TableName): string[] {
  return [TABLES[table].dateColumn, 'organization_id', 'location_id'];
}

/** The table `table` is derived from, if any. */
export function derivedFrom(table: TableName): TableName | undefined {
  const from = (TABLES[table] as TableSpec).derivedFrom;
  if (from !== undefined && !isTableName(from)) throw new Error(`${table} is derived from unknown table ${from}`);
  return from;
}

/**
 * The tables a refresh of `tables` needs, in the order to refresh them: a
 * derived table pulls in the table it is derived from, which comes first.
 */
export function refreshOrder(tables: readonly TableName[]): TableName[] {
  const out: TableName[] = [];
  const visit = (t: TableName): void => {
    if (out.includes(t)) return;
    const from = derivedFrom(t);
    if (from) visit(from);
    out.push(t);
  };
  tables.forEach(visit);
  return out;
}

/** The env variable that overrides RETENTION_DAYS for one table. */
export function retentionEnvVar(table: TableName): string {
  return `RETENTION_DAYS_${table.toUpperCase()}`;
}
