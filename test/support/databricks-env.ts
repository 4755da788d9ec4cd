/**
 * Shared by the Databricks engine tests: the same demo source data seeded
 * into two DuckDB files (one for WAREHOUSE=duckdb, one served by the local
 * Databricks endpoint), the environment that points the service at the
 * endpoint, and a log capture.
 */
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { seedDemo } from '../../src/demo/seed.js';
import { createLogger, type Logger } from '../../src/log.js';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import type { LocalDatabricks } from '../../tools/databricks-local/server.js';
import { parseIsoDate } from '../../src/dates.js';

export const CATALOG = 'hs_franquia';
export const SCHEMA = 'gold_connect_bot';
/** The demo's last day with data, and the reference date of the runs. */
export const D = parseIsoDate('2026-11-29');
export const SEED = 7;

/** Seed the small demo (fixed seed and end date) into `<dir>/duckdb.duckdb` and `<dir>/endpoint.duckdb`. */
export async function seedTwoFiles(dir: string): Promise<{ duckdbPath: string; endpointPath: string }> {
  const duckdbPath = join(dir, 'duckdb.duckdb');
  const endpointPath = join(dir, 'endpoint.duckdb');
  for (const path of [duckdbPath, endpointPath]) {
    const warehouse = new DuckDbWarehouse({ path, catalog: CATALOG, idleCloseMs: 0 });
    try {
      await seedDemo({ warehouse, catalog: CATALOG, sourceSchema: SCHEMA, scale: 'small', seed: SEED, endDate: D });
    } finally {
      await warehouse.close();
    }
  }
  return { duckdbPath, endpointPath };
}

/** Environment for WAREHOUSE=databricks against the local endpoint (as `npm run databricks:local` prints it). */
export function endpointEnv(ep: LocalDatabricks, caFile: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    WAREHOUSE: 'databricks',
    CRM_CATALOG: CATALOG,
    CRM_SCHEMA: SCHEMA,
    DATABRICKS_HOST: `${ep.host}:${ep.port}`,
    DATABRICKS_HTTP_PATH: ep.path,
    DATABRICKS_TOKEN: ep.token,
    DATABRICKS_CA_CERT_FILE: caFile,
    ...extra,
  };
}

/** Everything a pino logger writes, as text. */
export class LogCapture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
  logger(level = 'debug'): Logger {
    return createLogger(level, this);
  }
  /** Parsed lines whose msg matches. */
  lines(msg: RegExp): Array<Record<string, unknown>> {
    return this.text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => typeof l.msg === 'string' && msg.test(l.msg));
  }
}
