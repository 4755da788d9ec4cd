/**
 * The dialect-neutral query builder: turns the registry and the SQL files
 * into the statements each task runs, for one engine. `sql render` prints
 * exactly these.
 */
import type { Config } from '../config/index.js';
import { addDays, type IsoDate } from '../dates.js';
import type { Dialect } from '../warehouse/dialect.js';
import { sqlDate, sqlTimestamp, type Params, type Statement } from '../warehouse/types.js';
import { ANOMALIES_FILE, AUDIT_FILE, CHECKS, type CheckSpec } from './checks.js';
import { SOURCE_VIEWS, TABLES, TABLE_NAMES, clusteringColumns, derivedFrom, type SourceView, type TableName } from './registry.js';
import { fillTemplate, qualified, sqlFile } from './sql-files.js';

import type { DateRange } from './windows.js';

export type { DateRange };

const PUBLISH_HISTORY_FILE = '14_publish_history.sql';
const PUBLISH_CANDIDATE_FILE = '15_publish_candidate.sql';
const ACTIONS_READ_FILE = '19_actions_read.sql';
const WINDOW_DAYS_HELD_FILE = '16_window_days_held.sql';

export type SqlSettings = Pick<
  Config,
  'catalog' | 'schema' | 'sourceCatalog' | 'sourceSchema' | 'vacuumRetainHours' | 'optimizeAfterRefresh'
>;

export class SqlBuilder {
  private readonly names: Record<string, string>;

  constructor(
    private readonly settings: SqlSettings,
    readonly dialect: Dialect,
  ) {
    this.names = {
      target: qualified(settings.catalog, settings.schema),
      source: qualified(settings.sourceCatalog, settings.sourceSchema),
    };
    // Wiring gaps fail now, not at 06:00: every file must be readable.
    for (const t of TABLE_NAMES) [TABLES[t].sql.create, TABLES[t].sql.select, TABLES[t].expectedDays].forEach(sqlFile);
    TABLE_NAMES.forEach(derivedFrom);
    for (const c of CHECKS) sqlFile(c.file);
    [ANOMALIES_FILE, AUDIT_FILE, PUBLISH_HISTORY_FILE, PUBLISH_CANDIDATE_FILE, ACTIONS_READ_FILE, WINDOW_DAYS_HELD_FILE].forEach(sqlFile);
  }

  table(name: TableName): string {
    return qualified(this.settings.catalog, this.settings.schema, name);
  }

  /** Where a source view is read from, e.g. hs_franquia.gold_connect_bot. */
  get sourceLocation(): string {
    return this.names.source as string;
  }

  /** Create the schema and the tables if missing. */
  init(tables: readonly TableName[] = TABLE_NAMES): Statement[] {
    const schema: Statement = { sql: `CREATE SCHEMA IF NOT EXISTS ${this.names.target}` };
    return [
      schema,
      ...tables.map((t) =>
        this.stmt(TABLES[t].sql.create, {}, { table: this.table(t), table_options: this.dialect.tableOptions(clusteringColumns(t)) }),
      ),
    ];
  }

  /** A cheap query that fails when the view is missing (reads no rows). */
  sourceProbe(view: SourceView): Statement {
    return { sql: `SELECT * FROM ${qualified(this.settings.sourceCatalog, this.settings.sourceSchema, view)} LIMIT 0` };
  }

  /** The statements that atomically replace `range` of the table (run with executeAtomic). */
  refresh(table: TableName, range: DateRange, writtenAt: Date): Statement[] {
    const spec = TABLES[table];
    const predicate =
      spec.refreshMode === 'rolling-window'
        ? `${spec.dateColumn} >= :window_start AND ${spec.dateColumn} <= :ref_date`
        : `${spec.dateColumn} = :ref_date`;
    if (spec.refreshMode === 'daily-snapshot' && range.from !== range.to) {
      throw new Error(`${table} is a daily snapshot: refresh one date at a time`);
    }
    const params: Params = { window_start: sqlDate(range.from), ref_date: sqlDate(range.to), written_at: sqlTimestamp(writtenAt) };
    const query = this.selectOf(table, range.to);
    const replace = this.dialect
      .replaceWhere(this.table(table), predicate, query, clusteringColumns(table))
      .map((sql) => this.dialect.bind(sql, params));
    // DuckDB stages inside the replace's transaction (one connection); Databricks before it (stage()).
    return this.dialect.checksInsideReplace && readsActions(table) ? [this.createStage(range.to), ...replace] : replace;
  }

  /**
   * Before the replace, outside its transaction: the stage of the actions the
   * refresh reads for D, where the engine keeps it in the session (Databricks).
   */
  stage(table: TableName, range: DateRange): Statement[] {
    if (!readsActions(table) || this.dialect.checksInsideReplace) return [];
    return [{ sql: this.dialect.dropStage(stageName(range.to)) }, this.createStage(range.to)];
  }

  /** After the refresh (also when it failed): drop the stage (DuckDB's ends with its connection). */
  unstage(table: TableName, range: DateRange): Statement[] {
    return readsActions(table) && !this.dialect.checksInsideReplace ? [{ sql: this.dialect.dropStage(stageName(range.to)) }] : [];
  }

  /**
   * Source anomalies among the actions the refresh read for D, counted from its
   * stage (no second read of the view): inside the replace's transaction on
   * DuckDB, after it on Databricks. Undefined for a table that reads no actions.
   */
  stagedAnomalies(table: TableName, range: DateRange): Statement | undefined {
    if (!readsActions(table)) return undefined;
    return this.stmt(ANOMALIES_FILE, { ref_date: sqlDate(range.to) }, { actions: stageName(range.to) });
  }

  private createStage(refDate: IsoDate): Statement {
    const query = fillTemplate(sqlFile(ACTIONS_READ_FILE), this.names);
    return this.dialect.bind(this.dialect.createStage(stageName(refDate), query), { ref_date: sqlDate(refDate) });
  }

  /** The table's SELECT for D, reading the refresh's stage where it reads actions. */
  private selectOf(table: TableName, refDate: IsoDate): string {
    return fillTemplate(sqlFile(TABLES[table].sql.select), { ...this.names, actions: stageName(refDate) });
  }

  /** Guarded publish: the published measure per day of [from, to] (14_publish_history.sql). */
  publishHistory(table: TableName, from: IsoDate, to: IsoDate): Statement {
    return this.stmt(PUBLISH_HISTORY_FILE, { history_start: sqlDate(from), history_end: sqlDate(to) }, this.guardNames(table));
  }

  /**
   * Guarded publish: the measure per day of [spanStart, range.to] as the
   * replace would leave it. Inside the replace's transaction where the
   * dialect allows (the table itself), else computed from the refresh's SELECT.
   */
  publishCandidate(table: TableName, range: DateRange, spanStart: IsoDate, writtenAt: Date): Statement {
    if (this.dialect.checksInsideReplace) return this.publishHistory(table, spanStart, range.to);
    const params: Params = {
      span_start: sqlDate(spanStart),
      window_start: sqlDate(range.from),
      ref_date: sqlDate(range.to),
      written_at: sqlTimestamp(writtenAt),
    };
    const candidate = this.selectOf(table, range.to);
    return this.stmt(PUBLISH_CANDIDATE_FILE, params, { ...this.guardNames(table), candidate });
  }

  private guardNames(table: TableName): Record<string, string> {
    return { table: this.table(table), date_column: TABLES[table].dateColumn, measure: TABLES[table].publishGuard.column ?? '1' };
  }

  /** Statements run after a refresh's replace has committed (e.g. OPTIMIZE). */
  afterRefresh(table: TableName): Statement[] {
    return this.settings.optimizeAfterRefresh ? this.dialect.afterRefresh(this.table(table)).map((sql) => ({ sql })) : [];
  }

  /** Delete rows dated before `cutoff`, then whatever the engine needs to reclaim space. */
  retention(table: TableName, cutoff: IsoDate): Statement[] {
    const del = this.stmt(
      '07_retention.sql',
      { cutoff: sqlDate(cutoff) },
      { table: this.table(table), date_column: TABLES[table].dateColumn },
    );
    const after = this.dialect.afterDelete(this.table(table), this.settings.vacuumRetainHours).map((sql) => ({ sql }));
    return [del, ...after];
  }

  validationSummary(table: TableName): Statement {
    return this.stmt('08_validation_summary.sql', {}, { table: this.table(table), date_column: TABLES[table].dateColumn });
  }

  /** Validation: the days of `range` (the run's window for the table) the table holds rows for. */
  windowDaysHeld(table: TableName, range: DateRange): Statement {
    const params = { window_start: sqlDate(range.from), ref_date: sqlDate(range.to) };
    return this.stmt(WINDOW_DAYS_HELD_FILE, params, { table: this.table(table), date_column: TABLES[table].dateColumn });
  }

  /** Validation: the days of `range` whose sources had rows (the days the table must hold). */
  expectedDays(table: TableName, range: DateRange): Statement {
    return this.stmt(TABLES[table].expectedDays, { window_start: sqlDate(range.from), ref_date: sqlDate(range.to) });
  }

  check(check: CheckSpec, refDate: IsoDate, windowDays: number): Statement {
    return this.stmt(check.file, { ref_date: sqlDate(refDate), window_start: sqlDate(addDays(refDate, -(windowDays - 1))) });
  }

  /**
   * Anomalies among the actions a run for `refDate` reads, from the view itself:
   * for a validation whose run did not refresh the snapshot (the `validate`
   * command, a validation-only run). A daily run counts them from its stage.
   */
  anomalies(refDate: IsoDate): Statement {
    return this.stmt(ANOMALIES_FILE, { ref_date: sqlDate(refDate) }, { actions: `${this.names.source}.vw_crm_action` });
  }

  /** The source audit: anomalies over the whole views. */
  sourceAudit(): Statement {
    return this.stmt(AUDIT_FILE, {});
  }

  /** Every view the given tables read. */
  static sourcesOf(tables: readonly TableName[]): SourceView[] {
    return SOURCE_VIEWS.filter((v) => tables.some((t) => (TABLES[t].sources as readonly SourceView[]).includes(v)));
  }

  private stmt(file: string, params: Params, extra: Record<string, string> = {}): Statement {
    return this.dialect.bind(fillTemplate(sqlFile(file), { ...this.names, ...extra }), params);
  }
}

/** The refresh of this table reads vw_crm_action (through the stage). */
function readsActions(table: TableName): boolean {
  return (TABLES[table].sources as readonly SourceView[]).includes('vw_crm_action');
}

/** The session-scoped stage of the actions read for D (one per date: backfills refresh several dates in one session). */
function stageName(refDate: IsoDate): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(refDate)) throw new Error(`'${refDate}' is not a date`);
  return `crm_acoes_lidas_${refDate.replaceAll('-', '')}`;
}
