/**
 * How the embedded engine stores the rows the service writes. Kept apart
 * from duckdb.ts so the layout check of `init` can read it without loading
 * the driver.
 */

/**
 * Rows per row group of the rows the service writes: DuckDB's smallest
 * (its vector size), instead of its default of 122,880. DuckDB skips storage
 * by the min-max statistics of whole row groups, and the materialized tables
 * are small: at the default, one date of crm_actions_open_snapshot (about
 * 35,000 rows at the large demo scale) lies in one or two row groups, so a
 * location's page read tens of thousands of rows; at 2048 it reads the one
 * or two row groups holding that location. The size applies to row groups
 * written from now on: a file written before keeps its old row groups until
 * retention deletes their dates (or the table is rewritten, as `init`'s
 * layout statement does).
 */
export const TABLE_ROW_GROUP_SIZE = 2048;

/** DuckDB's default, for data written as DuckDB would (the benchmark's stand-in for the source views). */
export const DUCKDB_DEFAULT_ROW_GROUP_SIZE = 122_880;
