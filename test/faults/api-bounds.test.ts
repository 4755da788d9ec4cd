/**
 * One API client cannot fill Redis or hog the API: the cache stays within
 * API_CACHE_MAX_BYTES (oldest answers evicted), answers over the per-entry cap
 * are not stored, and each client has its own token bucket (429 + Retry-After).
 */
import { afterEach, describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { addDays, parseIsoDate } from '../../src/dates.js';
import { API_KEY, apiGet, runThroughQueue } from '../support/api.js';
import { metricValue } from '../support/metrics.js';
import { REDIS_URL } from '../support/redis.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { startTestService, type TestService } from '../support/service.js';

const D = parseIsoDate('2026-11-29');
const OTHER_KEY = 'other-api-key-0123456789';
let svc: TestService | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

/** Bytes of the cached answers in Redis (every key of the API cache but its bookkeeping and locks). */
async function cachedBytes(prefix: string): Promise<{ keys: number; bytes: number }> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys = (await redis.keys(`${prefix}:api:v1:*`)).filter((k) => !k.includes(':budget:') && !k.endsWith(':lock'));
    const sizes = await Promise.all(keys.map((k) => redis.strlen(k)));
    return { keys: keys.length, bytes: sizes.reduce((a, b) => a + b, 0) };
  } finally {
    redis.disconnect();
  }
}

const scrape = async (s: TestService): Promise<string> => (await fetch(`http://127.0.0.1:${s.service.port}/metrics`)).text();

describe('bounded cache', () => {
  test('200 distinct ranges stay within API_CACHE_MAX_BYTES; the newest answers are still served from the cache', async () => {
    const max = 65_536;
    // The Redis tier alone (the process's own memory tier has its own bound: local-answers.ts).
    svc = await startTestService({
      sources: DEMO_SOURCES,
      env: { API_CACHE_MAX_BYTES: String(max), API_RATE_LIMIT_PER_MINUTE: '0', API_LOCAL_CACHE_MAX_BYTES: '0' },
    });
    await runThroughQueue(svc, D);
    let stored = 0;
    for (let i = 0; i < 200; i++) {
      const a = await apiGet(svc, `/metrics?from=${addDays(D, -i)}&to=${D}`);
      expect(a.status).toBe(200);
      stored += 2 * JSON.stringify(a.body).length;
    }
    expect(stored).toBeGreaterThan(2 * max); // without a budget the cache would hold all of it
    const held = await cachedBytes(svc.prefix);
    expect(held.bytes).toBeGreaterThan(0);
    expect(held.bytes).toBeLessThanOrEqual(max);
    const m = await scrape(svc);
    expect(metricValue(m, 'crm_api_cache_bytes')).toBeLessThanOrEqual(max);
    expect(metricValue(m, 'crm_api_cache_keys')).toBe(held.keys);
    expect((await apiGet(svc, `/metrics?from=${addDays(D, -199)}&to=${D}`)).headers.get('x-cache')).toBe('hit');
    expect((await apiGet(svc, `/metrics?from=${D}&to=${D}`)).headers.get('x-cache')).toBe('miss'); // the oldest was evicted
  });

  test('an answer over API_CACHE_MAX_ENTRY_BYTES is served but never stored', async () => {
    const actions = Array.from(
      { length: 40 },
      (_, i) => [`A${i}`, 'O1', 'L1', null, 'ana', 'corretiva', 'ABERTA', '2026-11-20', '2026-09-01 00:00:00', null] as const,
    );
    svc = await startTestService({
      sources: { ...DEMO_SOURCES, actions: actions.map((a) => [...a]) },
      env: { API_CACHE_MAX_ENTRY_BYTES: '1024', API_RATE_LIMIT_PER_MINUTE: '0' },
    });
    await runThroughQueue(svc, D);
    const big = await apiGet(svc, `/actions?date=${D}&page_size=40`);
    expect(JSON.stringify(big.body).length).toBeGreaterThan(1024);
    expect((await apiGet(svc, `/actions?date=${D}&page_size=40`)).headers.get('x-cache')).toBe('miss');
    await apiGet(svc, `/priorities?date=${D}`);
    expect((await apiGet(svc, `/priorities?date=${D}`)).headers.get('x-cache')).toBe('hit');
  });
});

describe('rate limit', () => {
  test('each client gets its own bucket: past the burst, 429 with Retry-After, one line of JSON', async () => {
    svc = await startTestService({
      roles: ['web'],
      env: { API_KEYS: `${API_KEY},${OTHER_KEY}`, API_RATE_LIMIT_PER_MINUTE: '1', API_RATE_LIMIT_BURST: '3' },
    });
    for (let i = 0; i < 3; i++) expect((await apiGet(svc, '/freshness')).status).toBe(200);
    const refused = await apiGet(svc, '/freshness');
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.body.detail).toBe(
      `rate limit exceeded: at most 1 requests a minute per client (bursts of 3); retry after ${retryAfter} s`,
    );
    expect((await apiGet(svc, '/freshness', { 'x-api-key': OTHER_KEY })).status).toBe(200);
  });
});
