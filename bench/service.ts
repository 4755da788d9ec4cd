/**
 * The service in this process for the queue and metrics benchmarks: a
 * temporary DuckDB file, a unique Redis key prefix, and a cleanup that
 * removes both (and checks no connection of the prefix is left open).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../src/config/index.js';
import { createLogger, type Logger } from '../src/log.js';
import { engineOptions, startService, type Role, type Service } from '../src/service.js';
import { DuckDbWarehouse } from '../src/warehouse/duckdb.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const CATALOG = 'hs_franquia';
export const SCHEMA = 'gold_connect_bot';

/** A folder for the DuckDB file and a Redis prefix that nothing else uses. */
export interface Scratch {
  readonly dir: string;
  readonly duckdbPath: string;
  readonly prefix: string;
  /** Delete the prefix's keys and the folder; fails if a connection of the prefix is still open. */
  cleanup(): Promise<void>;
}

export function scratch(name: string): Scratch {
  const dir = mkdtempSync(join(tmpdir(), `crm-bench-${name}-`));
  const prefix = `{crmbench-${randomBytes(5).toString('hex')}}`;
  return {
    dir,
    duckdbPath: join(dir, 'crm.duckdb'),
    prefix,
    cleanup: async () => {
      try {
        await deletePrefix(prefix);
        await expectNoConnections(prefix);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The service's configuration for a benchmark: quiet (warnings only), random board and read API credentials, no periodic warehouse check. */
export function benchConfig(s: Scratch, env: Record<string, string> = {}): Config {
  return loadConfig({
    CRM_CATALOG: CATALOG,
    CRM_SCHEMA: SCHEMA,
    DUCKDB_PATH: s.duckdbPath,
    REDIS_URL,
    QUEUE_PREFIX: s.prefix,
    HOST: '127.0.0.1',
    PORT: '0',
    BOARD_USER: 'bench',
    BOARD_PASSWORD: randomBytes(12).toString('hex'),
    API_KEYS: randomBytes(16).toString('hex'),
    WAREHOUSE_CHECK_INTERVAL_MS: '0',
    LOG_LEVEL: 'warn',
    ...env,
  });
}

export interface BenchService {
  readonly service: Service;
  readonly config: Config;
  readonly log: Logger;
  readonly baseUrl: string;
  stop(): Promise<void>;
}

/** startService as `crm-materializer start --roles …` would, on the scratch file and prefix. */
/** `threads`: DuckDB's threads; default as the service picks them (every core but one when web and worker share the process). */
export async function startBenchService(config: Config, roles: readonly Role[], threads?: number): Promise<BenchService> {
  const log = createLogger(config.logLevel);
  const chosen = engineOptions(config, roles);
  const warehouse = new DuckDbWarehouse({
    path: config.duckdbPath,
    catalog: config.catalog,
    ...chosen,
    threads: threads ?? chosen.threads,
  });
  const service = await startService(config, log, roles, { warehouse });
  return { service, config, log, baseUrl: `http://127.0.0.1:${service.port}`, stop: () => service.stop() };
}

async function admin<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

export async function deletePrefix(prefix: string): Promise<number> {
  return admin(async (redis) => {
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  });
}

async function expectNoConnections(prefix: string): Promise<void> {
  const open = (): Promise<string[]> =>
    admin(async (redis) =>
      ((await redis.client('LIST')) as string).split('\n').filter((l) => l.includes(`name=crm-materializer:${prefix}`)),
    );
  for (let i = 0; i < 20; i++) {
    if ((await open()).length === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Redis connections of ${prefix} still open:\n${(await open()).join('\n')}`);
}
