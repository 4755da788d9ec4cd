/**
 * CACHE_REDIS_URL: the read API's cached answers and rate limits in a Redis
 * database of their own (database 5 of the test Redis), the queues and the
 * recorded state in REDIS_URL's; the cache's metrics read the cache's database.
 */
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/index.js';
import { connectReads } from '../../src/queue/redis.js';
import { UsageError } from '../../src/errors.js';
import { apiGet, runThroughQueue } from '../support/api.js';
import { ENV_BASE } from '../support/duckdb-fixture.js';
import { metricValue } from '../support/metrics.js';
import { REDIS_URL, scanKeys } from '../support/redis.js';
import { startPrivateRedis } from '../support/redis-server.js';
import { QUICK_ENV, startTestService, type TestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
const CACHE_DB = 5;
const CACHE_URL = `${REDIS_URL.replace(/\/\d+$/, '')}/${CACHE_DB}`;
const started: TestService[] = [];
const cacheDb = new Redis(CACHE_URL, { lazyConnect: true });

afterAll(() => cacheDb.disconnect());
afterEach(async () => {
  for (const s of started.splice(0).reverse()) {
    const left = await scanKeys(cacheDb, `${s.prefix}*`);
    if (left.length > 0) await cacheDb.del(...left);
    await s.stop();
  }
});

describe('the read API cache in its own Redis (CACHE_REDIS_URL)', () => {
  test('cached answers and rate limits land in the cache database only, the pipeline never there; the cache metrics read it', async () => {
    const s = await startTestService({ roles: ['web', 'worker'], sources: DEMO_SOURCES, env: { CACHE_REDIS_URL: CACHE_URL } });
    started.push(s);
    expect(s.config.api.cacheRedisUrl).toBe(CACHE_URL);
    await runThroughQueue(s, D);
    for (const path of ['/metrics', '/priorities', '/actions', '/priorities']) expect((await apiGet(s, path)).status).toBe(200);
    expect((await apiGet(s, '/priorities')).headers.get('x-cache')).toBe('hit');

    const queueDb = new Redis(REDIS_URL);
    try {
      const inCache = await scanKeys(cacheDb, `${s.prefix}*`);
      const inQueues = await scanKeys(queueDb, `${s.prefix}*`);
      // The cache's database: only answers (fresh and stale), their budget, and the rate limit buckets.
      expect(inCache.some((k) => k.startsWith(`${s.prefix}:api:v1:priorities:`))).toBe(true);
      expect(inCache.some((k) => k.startsWith(`${s.prefix}:api:v1:stale:`))).toBe(true);
      expect(inCache.some((k) => k.startsWith(`${s.prefix}:api:ratelimit:`))).toBe(true);
      expect(inCache.filter((k) => !/^[^:]+:api:(v1|ratelimit):/.test(k))).toEqual([]);
      // The queues' database: the queues, the recorded state and the cursor secret; no cached answer or bucket.
      expect(inQueues.filter((k) => /:api:(v1|ratelimit):/.test(k))).toEqual([]);
      expect(inQueues).toContain(`${s.prefix}:state:generation`);
      expect(inQueues.some((k) => k.startsWith(`${s.prefix}:refresh:`))).toBe(true);
      // crm_api_cache_keys / _bytes are the cache database's figures.
      const text = await (await fetch(`http://127.0.0.1:${s.service.port}/metrics`)).text();
      expect(metricValue(text, 'crm_api_cache_keys')).toBe(await cacheDb.zcard(`${s.prefix}:api:v1:budget:index`));
      expect(metricValue(text, 'crm_api_cache_bytes')).toBe(Number(await cacheDb.get(`${s.prefix}:api:v1:budget:bytes`)));
      expect(metricValue(text, 'crm_api_cache_keys')).toBeGreaterThan(0);
      // A refresh still invalidates: the generation (queues' Redis) moves, and the answers under the new one land in the cache database.
      const before = inCache.filter((k) => k.startsWith(`${s.prefix}:api:v1:priorities:`));
      await runThroughQueue(s, D, true);
      expect((await apiGet(s, '/priorities')).status).toBe(200);
      const after = (await scanKeys(cacheDb, `${s.prefix}:api:v1:priorities:*`)).filter((k) => !before.includes(k));
      expect(after.length).toBeGreaterThan(0);
      expect(await scanKeys(queueDb, `${s.prefix}:api:v1:*`)).toEqual([]);
    } finally {
      queueDb.disconnect();
    }
  });

  test('a private evicting instance (allkeys-lru): answers land there; losing them all, or a full instance refusing writes, costs misses, never a failed request', async () => {
    const server = await startPrivateRedis({ args: ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru'] });
    const cache = new Redis(server.url);
    let s: TestService | undefined;
    try {
      expect(await cache.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'allkeys-lru']);
      // The Redis tier alone (no answers kept in the process's memory): what its eviction and refusals cost.
      s = await startTestService({
        roles: ['web', 'worker'],
        sources: DEMO_SOURCES,
        env: { CACHE_REDIS_URL: server.url, API_LOCAL_CACHE_MAX_BYTES: '0' },
      });
      started.push(s);
      await runThroughQueue(s, D);
      expect((await apiGet(s, '/metrics')).status).toBe(200);
      expect((await apiGet(s, '/metrics')).headers.get('x-cache')).toBe('hit');
      expect((await scanKeys(cache, `${s.prefix}:api:v1:metrics:*`)).length).toBeGreaterThan(0);
      const queueDb = new Redis(REDIS_URL);
      try {
        expect(await scanKeys(queueDb, `${s.prefix}:api:v1:*`)).toEqual([]);
      } finally {
        queueDb.disconnect();
      }
      // Every key evicted at once, the budget's bookkeeping included: a miss, then hits again.
      await cache.flushall();
      const again = await apiGet(s, '/metrics');
      expect([again.status, again.headers.get('x-cache')]).toEqual([200, 'miss']);
      expect((await apiGet(s, '/metrics')).headers.get('x-cache')).toBe('hit');
      // Full beyond what eviction can free: Redis refuses writes (OOM); the answers are still served, uncached.
      await cache.flushall();
      await cache.config('SET', 'maxmemory', '1');
      for (let i = 0; i < 2; i++) {
        const full = await apiGet(s, '/metrics');
        expect([full.status, full.headers.get('x-cache')]).toEqual([200, 'miss']);
      }
      await cache.config('SET', 'maxmemory', '64mb');
    } finally {
      await s?.stop(); // before its cache Redis goes
      cache.disconnect();
      await server.remove();
    }
  });

  test('an unreachable cache Redis stops the web role in one line naming CACHE_REDIS_URL, with its password hidden', async () => {
    const config = loadConfig({
      ...ENV_BASE,
      ...QUICK_ENV,
      REDIS_URL,
      QUEUE_PREFIX: '{crmtest-cache-refused}',
      CACHE_REDIS_URL: 'redis://:hunter2-secret@127.0.0.1:1/0',
    });
    const failed = connectReads(config);
    await expect(failed).rejects.toBeInstanceOf(UsageError);
    const message = await failed.catch((e: Error) => e.message);
    expect(message).toMatch(
      /^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0 \(CACHE_REDIS_URL\) is unreachable for the read API \(.*\): start it \(.*\) or set CACHE_REDIS_URL$/,
    );
    expect(message).not.toContain('hunter2');
  });

  test('a bad CACHE_REDIS_URL is refused by the configuration in one line', () => {
    expect(() => loadConfig({ ...ENV_BASE, CACHE_REDIS_URL: 'http://cache:6379' })).toThrow(
      /CACHE_REDIS_URL.*must be a redis:\/\/ or rediss:\/\/ URL/,
    );
  });
});
