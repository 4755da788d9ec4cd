/** An in-process service on a unique Redis prefix and a temporary DuckDB file. */
import { fixedClock, type Clock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createLogger, type Logger } from '../../src/log.js';
import { engineOptions, startService, type Role, type Service } from '../../src/service.js';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { createFixture, ENV_BASE, plain, type Fixture, type SourceRows } from './duckdb-fixture.js';
import { cleanupPrefix, REDIS_URL, uniquePrefix } from './redis.js';
import { waitFor } from './wait.js';

export interface TestService {
  readonly service: Service;
  readonly config: Config;
  readonly fixture: Fixture;
  readonly prefix: string;
  /** Query through the service's own engine (one DuckDB instance per file in a process). */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  /** Resolve once the read API's warm-ups for every refresh so far have run (nothing left to query the warehouse on its own). */
  settled(): Promise<void>;
  /** Stop the service but keep its Redis keys and DuckDB file (to start it again with `reuse`). */
  stopService(): Promise<void>;
  stop(): Promise<void>;
}

export const QUICK_ENV = {
  JOB_BACKOFF_MS: '200',
  WAREHOUSE_CHECK_INTERVAL_MS: '0',
  BOARD_USER: 'ops',
  BOARD_PASSWORD: 'secret-pass',
  API_KEYS: 'test-api-key-0123456789',
  SHUTDOWN_GRACE_MS: '2000',
  PORT: '0',
  HOST: '127.0.0.1',
} as const;

/**
 * The instant test services live at unless told otherwise: 05:00 in São
 * Paulo on 2026-11-29, before that day's 06:00 tick (the start-up catch-up
 * plans nothing), whatever the real date and hour.
 */
export const TEST_NOW = '2026-11-29T08:00:00Z';

export interface TestServiceOptions {
  /** What "now" is for the service (default: fixed at TEST_NOW). */
  readonly clock?: Clock;
  readonly env?: Record<string, string>;
  readonly roles?: Role[];
  readonly sources?: SourceRows;
  /** Wrap the real engine (fault injection). */
  readonly wrap?: (w: Warehouse) => Warehouse;
  /** The service's logger (default: silent). */
  readonly log?: Logger;
  /** Reuse a Redis prefix and DuckDB file (a restart); the first service's stop must keep them. */
  readonly reuse?: TestService;
}

export async function startTestService(opts: TestServiceOptions = {}): Promise<TestService> {
  const prefix = opts.reuse?.prefix ?? uniquePrefix();
  const fixture = opts.reuse?.fixture ?? (await createFixture(opts.env));
  if (opts.sources) await fixture.setSources(opts.sources);
  await fixture.warehouse.close();
  const config = loadConfig({ ...ENV_BASE, ...QUICK_ENV, DUCKDB_PATH: fixture.path, REDIS_URL, QUEUE_PREFIX: prefix, ...opts.env });
  const roles = opts.roles ?? ['worker', 'web'];
  // As the service builds its engine, but DuckDB's threads left to their default.
  const { releaseAfterEachStatement } = engineOptions(config, roles);
  const engine = new DuckDbWarehouse({ path: fixture.path, catalog: config.catalog, releaseAfterEachStatement });
  const clock = opts.clock ?? fixedClock(TEST_NOW);
  const service = await startService(config, opts.log ?? createLogger('silent'), roles, {
    warehouse: opts.wrap ? opts.wrap(engine) : engine,
    clock,
  });
  let stopped = false;
  let serviceStopped = false;
  const stopService = async (): Promise<void> => {
    if (serviceStopped) return;
    serviceStopped = true;
    await service.stop();
  };
  return {
    service,
    config,
    fixture,
    prefix,
    rows: async (sql) => (await service.runtime.warehouse.query({ sql })).map(plain),
    settled: async () => {
      await waitFor('the read API warm-up to settle', async () => (await service.api?.warmupSettled()) ?? true);
    },
    stopService,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopService();
      await cleanupPrefix(prefix);
      await fixture.cleanup();
    },
  };
}
