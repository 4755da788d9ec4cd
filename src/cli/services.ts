/** What a CLI command works with: config, logger, engine, SQL. Closed when the command ends. */
import { loadConfig, type Config } from '../config/index.js';
import { createLogger, type Logger } from '../log.js';
import { SqlBuilder } from '../tables/statements.js';
import type { TaskContext } from '../tasks/context.js';
import { createWarehouse, dialectOf } from '../warehouse/index.js';
import type { Warehouse } from '../warehouse/types.js';

export interface Services {
  readonly config: Config;
  readonly log: Logger;
  readonly warehouse: Warehouse;
  readonly sql: SqlBuilder;
  readonly ctx: TaskContext;
}

/** `create`: the command may create the DuckDB file (`init`, `demo seed`); the others refuse a missing one. */
export async function withServices<T>(
  fn: (s: Services) => Promise<T>,
  options: { readonly create?: boolean } = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  const config = loadConfig(env);
  const log = createLogger(config.logLevel, process.stderr, config.logFormat);
  const sql = new SqlBuilder(config, dialectOf(config));
  const warehouse = await createWarehouse(config, { log, create: options.create });
  const abort = new AbortController();
  const onSignal = (): void => abort.abort(new Error('interrupted by signal'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await fn({ config, log, warehouse, sql, ctx: { warehouse, sql, log, signal: abort.signal } });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await warehouse.close();
  }
}
