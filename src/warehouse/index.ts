/** Builds the configured engine. Nothing else constructs a Warehouse. */
import type { Config } from '../config/index.js';
import { createLogger, type Logger } from '../log.js';
import { databricksSettings } from './databricks-connection.js';
import { DatabricksWarehouse } from './databricks.js';
import { dialectFor, type Dialect } from './dialect.js';
import { DuckDbWarehouse } from './duckdb.js';
import type { Warehouse } from './types.js';

export interface WarehouseOptions {
  /** Open the DuckDB file read-only (readers that must not block writers). */
  readonly readOnly?: boolean;
  /** May create the DuckDB file (`init`, `demo seed`); everything else refuses a missing file. */
  readonly create?: boolean;
  /** Where the engine logs (waiting for a starting warehouse, warnings); silent if not given. */
  readonly log?: Logger;
}

export function createWarehouse(config: Config, options: WarehouseOptions = {}): Warehouse {
  switch (config.warehouse) {
    case 'duckdb':
      return new DuckDbWarehouse({ path: config.duckdbPath, catalog: config.catalog, readOnly: options.readOnly, mustExist: !options.create });
    case 'databricks':
      return new DatabricksWarehouse(databricksSettings(config), options.log ?? createLogger('silent'));
  }
}

export function dialectOf(config: Config): Dialect {
  return dialectFor(config.warehouse);
}
