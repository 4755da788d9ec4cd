/**
 * The dashboard's read API (web role): cached reads of the materialized
 * tables, invalidated by each refresh. docs/api.md describes it.
 */
import type { Router } from 'express';
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import type { ApiMetrics } from '../metrics/api-metrics.js';
import { keyspace } from '../queue/keyspace.js';
import { closeRedis, createRedis, type ReadConnections } from '../queue/redis.js';
import { StateStore } from '../state/store.js';
import { dialectOf } from '../warehouse/index.js';
import type { Warehouse } from '../warehouse/types.js';
import { apiAuth } from './auth.js';
import { ReadCache } from './cache.js';
import { CacheBypass } from './cache-bypass.js';
import { recordedState } from './recorded-state.js';
import { inFlightCap } from './in-flight.js';
import { rateLimit } from './rate-limit.js';
import { CursorCodec } from './cursor.js';
import { freshnessBody } from './freshness.js';
import { ApiReads } from './reads.js';
import { apiRouter } from './router.js';
import { ApiSql } from './statements.js';
import { HotKeys } from './hot-keys.js';
import { followBumps, LocalAnswers } from './local-answers.js';
import { actionsQuery, metricsQuery, prioritiesQuery } from './params.js';
import { subscribeWarmup, type Warmup } from './warm.js';
import { TABLE_NAMES } from '../tables/registry.js';

export { API_PATH } from './router.js';

export interface ApiDeps {
  readonly config: Config;
  readonly log: Logger;
  /** The process's engine: on DuckDB, shared with a worker role in the same process. */
  readonly warehouse: Warehouse;
  readonly clock: Clock;
  readonly metrics?: ApiMetrics;
  /** Opened and closed by the composition root (queue/redis.ts connectReads). */
  readonly redis: ReadConnections;
  /**
   * Load the answers served lately again right after a refresh (warm-up).
   * The composition root says no for a web-only process on DuckDB: the
   * worker process holds the file right after its refresh.
   */
  readonly warmUp: boolean;
}

export interface Api {
  readonly router: Router;
  /**
   * True once the warm-ups for every generation bump recorded so far have
   * run (always true without warm-up): what a caller waits on before
   * counting warehouse queries.
   */
  warmupSettled(): Promise<boolean>;
  close(): Promise<void>;
}

export async function createApi(d: ApiDeps): Promise<Api> {
  const { config, log } = d;
  const auth = apiAuth(config.api, log);
  // The recorded state (generations, freshness, the cursor secret) lives with the queues, never evicted;
  // the cached answers and the rate limits in CACHE_REDIS_URL's Redis, which may evict (the same one unless set).
  const { state: redis, cache: cacheRedis } = d.redis;
  let subscriber: Redis | undefined;
  let warmup: Warmup | undefined;
  try {
    const state = new StateStore(redis, config.queuePrefix, config.runsKeepDays);
    const generations = async (): Promise<Record<string, number>> => {
      const values = await state.generations(TABLE_NAMES);
      return Object.fromEntries(TABLE_NAMES.map((t, i) => [t, values[i] ?? 0]));
    };
    const { cacheTtlSeconds: ttlSeconds, cacheMaxBytes: maxBytes, cacheMaxEntryBytes: maxEntryBytes } = config.api;
    const bypass = new CacheBypass({ redis: cacheRedis, log, metrics: d.metrics, maxConcurrent: config.api.uncachedConcurrency });
    const keys = keyspace(config.queuePrefix);
    // One Redis for the state and the cache: a hit reads the generations and the answer in one round trip.
    const generationsKey = cacheRedis === redis ? keys.generations : undefined;
    // The cache remembers the answers it served, for the warm-up after a refresh (off with the cache, or when told).
    const hot = ttlSeconds > 0 && d.warmUp ? new HotKeys() : undefined;
    // The first tier, in this process's memory: it needs the bumps heard (a subscriber), like the warm-up.
    const local = ttlSeconds > 0 && config.api.localCacheMaxBytes > 0 ? new LocalAnswers(config.api.localCacheMaxBytes) : undefined;
    const cache = new ReadCache({
      redis: cacheRedis,
      state,
      generationsKey,
      prefix: config.queuePrefix,
      ttlSeconds,
      maxBytes,
      maxEntryBytes,
      log,
      metrics: d.metrics,
      bypass,
      hot,
      local,
    });
    // crm_api_cache_keys / crm_api_cache_bytes: read from the cache's own Redis.
    d.metrics?.watchCache(() => cache.budget.usage());
    const reads = new ApiReads({
      warehouse: d.warehouse,
      sql: new ApiSql(config, dialectOf(config)),
      cache,
      cursors: new CursorCodec(redis, keys.cursorSecret),
      metrics: d.metrics,
      metricsMaxRows: config.api.metricsMaxRows,
    });
    const limit = rateLimit({
      redis: cacheRedis,
      prefix: config.queuePrefix,
      perMinute: config.api.rateLimitPerMinute,
      burst: config.api.rateLimitBurst,
      log,
    });
    const inFlight = inFlightCap(config.api.maxInFlight).handler;
    const freshness = () => recordedState(bypass, () => freshnessBody(state, config.scheduleTz, d.clock));
    const router = apiRouter({ reads, freshness, auth, inFlight, limit, log, metrics: d.metrics });
    if (hot || local) {
      // Generations are bumped (and announced) in the queues' Redis.
      subscriber = createRedis(config.redisUrl, `${config.queuePrefix}:api-events`);
      subscriber.on('error', (err: Error) => log.debug({ err: err.message }, 'read API: Redis subscriber error'));
      if (local) await followBumps(subscriber, state.generationChannel, local);
    }
    if (hot && subscriber) {
      // With nothing served yet, a table's unfiltered default answer is warmed.
      const defaults = {
        crm_metrics_daily: () => reads.metrics(metricsQuery({})),
        crm_action_priorities_daily: () => reads.priorities(prioritiesQuery({})),
        crm_actions_open_snapshot: () => reads.actions(actionsQuery({})),
      };
      warmup = await subscribeWarmup(subscriber, state.generationChannel, { hot, defaults }, log, generations);
    }
    log.info(
      {
        cacheTtlSeconds: config.api.cacheTtlSeconds,
        separateCacheRedis: cacheRedis !== redis,
        warmUp: warmup !== undefined,
        localCacheMaxBytes: local ? config.api.localCacheMaxBytes : 0,
      },
      'read API ready',
    );
    return {
      router,
      warmupSettled: async () => warmup?.settled(await generations()) ?? true,
      close: async () => {
        await warmup?.stop();
        if (subscriber) await closeRedis(subscriber);
      },
    };
  } catch (e) {
    subscriber?.disconnect();
    throw e;
  }
}
