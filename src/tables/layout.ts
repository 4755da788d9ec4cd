/**
 * The layout of an existing table, as `init` reports it: rows clustered by
 * organization and location within a date (registry.clusteringColumns).
 * DuckDB keeps insertion order, so the probe checks the rows' storage order
 * within each date, and that they lie in row groups of at most
 * TABLE_ROW_GROUP_SIZE rows (DuckDB reads a row group whole or skips it);
 * Databricks says it in DESCRIBE DETAIL (clusteringColumns,
 * partitionColumns). Migration statements are the ones docs/databricks.md
 * documents; `init` prints them and never runs them.
 */
import type { Dialect } from '../warehouse/dialect.js';
import { TABLE_ROW_GROUP_SIZE } from '../warehouse/duckdb-storage.js';
import type { Row, Statement } from '../warehouse/types.js';
import { clusteringColumns, type TableName } from './registry.js';

export interface LayoutVerdict {
  /** Laid out as the dashboard's reads want it. */
  readonly clustered: boolean;
  /** What was found, in words. */
  readonly found: string;
}

/** One query that tells the table's layout (fails when the table does not exist). */
export function layoutProbe(dialect: Dialect, table: string, name: TableName): Statement {
  if (dialect.engine === 'databricks') return { sql: `DESCRIBE DETAIL ${table}` };
  const [date, ...within] = clusteringColumns(name);
  const key = `(${within.join(', ')})`;
  // Rows stored per row group, from one column's segments (deleted rows not yet vacuumed included).
  const groups =
    `SELECT SUM(count) AS n FROM pragma_storage_info('${table}') ` +
    `WHERE column_name = '${date}' AND segment_type <> 'VALIDITY' GROUP BY row_group_id`;
  return {
    sql:
      `SELECT COUNT(*) AS linhas, COUNT(*) FILTER (WHERE fora_de_ordem) AS fora_de_ordem,\n` +
      `  (SELECT COALESCE(SUM(n), 0) FROM (${groups}) AS g WHERE n > ${TABLE_ROW_GROUP_SIZE}) AS em_grupos_grandes\n` +
      `FROM (\n` +
      `  SELECT ${key} < LAG(${key}) OVER (PARTITION BY ${date} ORDER BY rowid) AS fora_de_ordem FROM ${table}\n` +
      `) AS linhas`,
  };
}

/** Reads the probe's rows. */
export function layoutVerdict(dialect: Dialect, name: TableName, rows: readonly Row[]): LayoutVerdict {
  const wanted = clusteringColumns(name);
  const [row] = rows;
  if (dialect.engine === 'databricks') {
    const clustering = columnList(row?.clusteringColumns);
    const partitions = columnList(row?.partitionColumns);
    if (clustering.join(',') === wanted.join(',')) return { clustered: true, found: `clustered by (${clustering.join(', ')})` };
    if (partitions.length > 0)
      return { clustered: false, found: `partitioned by (${partitions.join(', ')}), the layout before liquid clustering` };
    return {
      clustered: false,
      found:
        clustering.length > 0 ? `clustered by (${clustering.join(', ')}), not (${wanted.join(', ')})` : 'neither clustered nor partitioned',
    };
  }
  const rowsIn = Number(row?.linhas ?? 0);
  const outOfOrder = Number(row?.fora_de_ordem ?? 0);
  const inLargeGroups = Number(row?.em_grupos_grandes ?? 0);
  if (rowsIn === 0) return { clustered: true, found: 'empty (rows will be written in order)' };
  if (outOfOrder === 0 && inLargeGroups === 0)
    return { clustered: true, found: `${rowsIn} rows in (${wanted.join(', ')}) order, in row groups of at most ${TABLE_ROW_GROUP_SIZE}` };
  const problems = [
    ...(outOfOrder > 0
      ? [`${outOfOrder} of ${rowsIn} rows out of (${wanted.join(', ')}) order within their date, the layout before ordered writes`]
      : []),
    ...(inLargeGroups > 0
      ? [
          `${inLargeGroups} rows stored in row groups of more than ${TABLE_ROW_GROUP_SIZE} rows, ` +
            `written before the tables' smaller row groups (a read skips only whole row groups)`,
        ]
      : []),
  ];
  return { clustered: false, found: problems.join('; ') };
}

/** The documented statements that rewrite the table in the new layout (printed by `init`, run by an operator). */
export function layoutMigration(dialect: Dialect, table: string, name: TableName): string[] {
  const cols = clusteringColumns(name).join(', ');
  if (dialect.engine === 'databricks')
    return [`CREATE OR REPLACE TABLE ${table}\n  CLUSTER BY (${cols})\n  AS SELECT * FROM ${table};`, `OPTIMIZE ${table};`];
  return [`CREATE OR REPLACE TABLE ${table} AS SELECT * FROM ${table} ORDER BY ${cols};`];
}

/** DESCRIBE DETAIL's array columns, as the driver returns them (an array, or its JSON text). */
function columnList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string' && value.trim().startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(value);
      return Array.isArray(parsed) ? parsed.map(String) : [];
    } catch {
      return [];
    }
  }
  return [];
}
