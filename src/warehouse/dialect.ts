/**
 * The few differences between Databricks SQL and DuckDB, in one place: table
 * options, the atomic replace, VACUUM, parameter markers and the session
 * set-up that lets DuckDB read the Spark functions the shared SQL uses.
 * Everything else in sql/ is written once and runs on both.
 */
import type { Engine, Params, Statement } from './types.js';

export interface Dialect {
  readonly engine: Engine;
  /** Clause after CREATE TABLE's column list; `clusterBy`: the layout the dashboard's reads filter on. */
  tableOptions(clusterBy: readonly string[]): string;
  /**
   * Statements replacing the rows matching `predicate` by the rows of `query`,
   * written in `clusterBy` order where the engine keeps insertion order; run with executeAtomic.
   */
  replaceWhere(table: string, predicate: string, query: string, clusterBy: readonly string[]): string[];
  /** Statements after retention's DELETE (reclaiming files), if the engine needs any. */
  afterDelete(table: string, retainHours: number): string[];
  /** Statements after a refresh when OPTIMIZE is enabled. */
  afterRefresh(table: string): string[];
  /**
   * The publish guard checks the new rows inside the replace's transaction,
   * before its commit (DuckDB); otherwise it counts the candidate rows first
   * (Databricks: a REPLACE WHERE cannot be stopped half-way).
   */
  readonly checksInsideReplace: boolean;
  /**
   * A session-scoped table holding `query`'s rows, read by later statements of
   * the same session (a refresh's source rows, read once): DuckDB creates it
   * inside the replace's transaction, Databricks before the REPLACE WHERE.
   */
  createStage(name: string, query: string): string;
  dropStage(name: string): string;
  /** Run once per session before anything else. */
  readonly sessionSetup: readonly string[];
  /** Bind `:name` markers: keeps only the parameters the SQL uses; throws if one is missing. */
  bind(sql: string, params: Params): Statement;
}

// Skips quoted strings, identifiers in backticks/double quotes and comments;
// captures `:name` markers that are not part of a `::` cast.
const TOKENS = /('(?:[^'\\]|\\.|'')*')|("(?:[^"]|"")*")|(`[^`]*`)|(--[^\n]*)|(\/\*[\s\S]*?\*\/)|(:?):([A-Za-z_][A-Za-z0-9_]*)/g;

function bindMarkers(sql: string, params: Params, marker: (name: string) => string): Statement {
  const used: Record<string, Params[string]> = {};
  const out = sql.replace(TOKENS, (whole, s1, s2, s3, c1, c2, colon: string | undefined, name: string | undefined) => {
    if (s1 || s2 || s3 || c1 || c2 || name === undefined || colon) return whole;
    if (!Object.hasOwn(params, name)) throw new Error(`SQL parameter :${name} has no value`);
    used[name] = params[name] ?? null;
    return marker(name);
  });
  return { sql: out, params: used };
}

export const databricksDialect: Dialect = {
  engine: 'databricks',
  // Liquid clustering, not partitioning: these tables are MBs (Databricks advises against partitions under 1 TB).
  tableOptions: (clusterBy) => `USING DELTA CLUSTER BY (${clusterBy.join(', ')})`,
  // Clustered by Delta itself (on write and by OPTIMIZE): no ORDER BY needed.
  replaceWhere: (table, predicate, query) => [`INSERT INTO ${table} REPLACE WHERE ${predicate}\n${query}`],
  afterDelete: (table, retainHours) => [`VACUUM ${table} RETAIN ${retainHours} HOURS`],
  afterRefresh: (table) => [`OPTIMIZE ${table}`],
  checksInsideReplace: false,
  createStage: (name, query) => `CREATE TEMPORARY TABLE ${name} AS\n${query}`,
  dropStage: (name) => `DROP TEMPORARY TABLE IF EXISTS ${name}`,
  sessionSetup: [],
  bind: (sql, params) => bindMarkers(sql, params, (name) => `:${name}`),
};

export const duckdbDialect: Dialect = {
  engine: 'duckdb',
  tableOptions: () => '',
  // executeAtomic runs both in one transaction: readers see old rows or new rows.
  // DuckDB keeps insertion order: rows land clustered, so zone maps skip other locations' rows.
  replaceWhere: (table, predicate, query, clusterBy) => [
    `DELETE FROM ${table} WHERE ${predicate}`,
    `INSERT INTO ${table}\nSELECT * FROM (\n${query}\n) AS linhas\nORDER BY ${clusterBy.join(', ')}`,
  ],
  afterDelete: () => [],
  afterRefresh: () => [],
  checksInsideReplace: true,
  createStage: (name, query) => `CREATE OR REPLACE TEMP TABLE ${name} AS\n${query}`,
  dropStage: (name) => `DROP TABLE IF EXISTS temp.main.${name}`,
  // Spark's datediff(end, start), beside DuckDB's own three-argument datediff.
  sessionSetup: [`CREATE OR REPLACE TEMP MACRO datediff(end_date, start_date) AS date_diff('day', start_date, end_date)`],
  bind: (sql, params) => bindMarkers(sql, params, (name) => `$${name}`),
};

export function dialectFor(engine: Engine): Dialect {
  switch (engine) {
    case 'databricks':
      return databricksDialect;
    case 'duckdb':
      return duckdbDialect;
  }
}
