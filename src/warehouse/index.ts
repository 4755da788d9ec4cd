/**
 * Builds the configured engine. Nothing else constructs a Warehouse. Each
 * engine's driver is imported only when that engine is built: `--help` and
 * DuckDB commands never load @databricks/sql, nor Databricks ones DuckDB.
 */
import type { Config } from '../config/index.js';
import { createLogger, type Logger } from '../log.js';
import { dialectFor, type Dialect } from './dialect.js';
import type { Warehouse } from './types.js';

export interface WarehouseOptions {
  /** Open the DuckDB file read-only (readers that must not block writers). */
  readonly readOnly?: boolean;
  /** May create the DuckDB file (`init`, `demo seed`); everything else refuses a missing file. */
  readonly create?: boolean;
  /** DuckDB: its worker threads (default: one per core). */
  readonly threads?: number;
  /** DuckDB: hold the file only while a statement runs (a web-only process; the workers' process writes it). */
  readonly releaseAfterEachStatement?: boolean;
  /** Where the engine logs (waiting for a starting warehouse, warnings); silent if not given. */
  readonly log?: Logger;
}

export async function createWarehouse(config: Config, options: WarehouseOptions = {}): Promise<Warehouse> {
  switch (config.warehouse) {
    case 'duckdb': {
      const { DuckDbWarehouse } = await import('./duckdb.js');
      return new DuckDbWarehouse({
        path: config.duckdbPath,
        catalog: config.catalog,
        readOnly: options.readOnly,
        mustExist: !options.create,
        threads: options.threads,
        releaseAfterEachStatement: options.releaseAfterEachStatement,
      });
    }
    case 'databricks': {
      const [{ databricksSettings }, { DatabricksWarehouse }] = await Promise.all([
        import('./databricks-connection.js'),
        import('./databricks.js'),
      ]);
      return new DatabricksWarehouse(databricksSettings(config), options.log ?? createLogger('silent'));
    }
  }
}

export function dialectOf(config: Config): Dialect {
  return dialectFor(config.warehouse);
}
