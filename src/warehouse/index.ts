/** Builds the configured engine. Nothing else constructs a Warehouse. */
import type { Config } from '../config/index.js';
import { UsageError } from '../errors.js';
import { dialectFor, type Dialect } from './dialect.js';
import { DuckDbWarehouse } from './duckdb.js';
import type { Warehouse } from './types.js';

export interface WarehouseOptions {
  /** Open the DuckDB file read-only (readers that must not block writers). */
  readonly readOnly?: boolean;
}

export function createWarehouse(config: Config, options: WarehouseOptions = {}): Warehouse {
  switch (config.warehouse) {
    case 'duckdb':
      return new DuckDbWarehouse({ path: config.duckdbPath, catalog: config.catalog, readOnly: options.readOnly });
    case 'databricks':
      throw new UsageError('WAREHOUSE=databricks is not available in this build yet: use WAREHOUSE=duckdb');
  }
}

export function dialectOf(config: Config): Dialect {
  return dialectFor(config.warehouse);
}
