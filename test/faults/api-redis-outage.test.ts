/**
 * Degrade, don't fail: the read API's Redis (a redis-server of the test's
 * own) stops. Reads are answered straight from the warehouse (X-Cache:
 * bypass), at most API_UNCACHED_CONCURRENCY at once (past it 503 with
 * Retry-After, a problem), counted in crm_api_cache_bypass_total and logged
 * once per outage; when Redis is back, answers are cached again by themselves.
 */
import { describe, expect, test } from 'vitest';
import type { Warehouse } from '../../src/warehouse/types.js';
import { apiGet, runThroughQueue } from '../support/api.js';
import { metricValue } from '../support/metrics.js';
import { captureLog } from '../support/log-capture.js';
import { startPrivateRedis } from '../support/redis-server.js';
import { startTestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { waitFor } from '../support/wait.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');

/** The engine, where the read API's queries wait while `hold` is set (and are counted as they arrive). */
function gated(gate: { hold: Promise<void> | undefined; entered: number }) {
  return (w: Warehouse): Warehouse => ({
    engine: w.engine,
    execute: (s, o) => w.execute(s, o),
    executeAtomic: (s, o) => w.executeAtomic(s, o),
    close: () => w.close(),
    query: async (s, o) => {
      if (o?.tag?.task === 'api') {
        gate.entered++;
        if (gate.hold) await gate.hold;
      }
      return w.query(s, o);
    },
  });
}

describe('read API while its Redis is away', () => {
  test('answers from the warehouse uncached within the cap, logs the outage once, and caches again once Redis is back', async () => {
    const redis = await startPrivateRedis({ persistent: true });
    const captured = captureLog();
    const messages = (pattern: RegExp): number => captured.byMsg(pattern).length;
    const gate: { hold: Promise<void> | undefined; entered: number } = { hold: undefined, entered: 0 };
    // The tables are built by a worker on the shared Redis; then a web process reads them with the private Redis as its own.
    const builder = await startTestService({ roles: ['web', 'worker'], sources: DEMO_SOURCES });
    let s = builder;
    try {
      await runThroughQueue(builder, D);
      await builder.stopService();
      s = await startTestService({
        reuse: builder,
        roles: ['web'],
        env: { REDIS_URL: redis.url, API_UNCACHED_CONCURRENCY: '1' },
        wrap: gated(gate),
        log: captured.log,
      });
      const before = await apiGet(s, '/priorities?organization_id=O1');
      expect(before.status).toBe(200);
      expect(before.headers.get('x-cache')).not.toBe('bypass');

      await redis.stop();
      for (let i = 0; i < 3; i++) {
        const a = await apiGet(s, '/priorities?organization_id=O1');
        expect([a.status, a.headers.get('x-cache')]).toEqual([200, 'bypass']);
        expect(a.body).toEqual(before.body);
      }
      const freshness = await apiGet(s, '/freshness');
      expect(freshness.status).toBe(503);
      expect(freshness.body).toMatchObject({ type: 'urn:crm-materializer:problem:unavailable', status: 503 });
      expect(freshness.headers.get('retry-after')).toBe('5');

      // One uncached read at a time (API_UNCACHED_CONCURRENCY=1): a second one while the first is at the engine is refused.
      let release = (): void => undefined;
      gate.hold = new Promise<void>((r) => (release = r));
      const entered = gate.entered;
      const first = apiGet(s, '/metrics');
      await waitFor('the first uncached read to reach the engine', () => Promise.resolve(gate.entered > entered));
      const second = await apiGet(s, '/actions');
      expect(second.status).toBe(503);
      expect(second.headers.get('retry-after')).toBe('1');
      expect(second.body).toMatchObject({ type: 'urn:crm-materializer:problem:unavailable', status: 503 });
      expect(second.body.detail).toMatch(/API_UNCACHED_CONCURRENCY/);
      gate.hold = undefined;
      release();
      const firstAnswer = await first;
      expect([firstAnswer.status, firstAnswer.headers.get('x-cache')]).toEqual([200, 'bypass']);
      expect(messages(/Redis is unreachable: answering from the warehouse/)).toBe(1);

      await redis.start();
      // ioredis reconnects by itself: the answers come from the cache again.
      await waitFor(
        'cached answers again',
        async () => (await apiGet(s, '/priorities?organization_id=O1')).headers.get('x-cache') !== 'bypass',
      );
      const again = await apiGet(s, '/priorities?organization_id=O1');
      expect([again.status, again.headers.get('x-cache'), again.body]).toEqual([200, 'hit', before.body]);
      expect(messages(/Redis answers again/)).toBe(1);
      expect(messages(/Redis is unreachable: answering from the warehouse/)).toBe(1);
      const scrape = await (await fetch(`http://127.0.0.1:${s.service.port}/metrics`)).text();
      expect(metricValue(scrape, 'crm_api_cache_bypass_total', {})).toBeGreaterThanOrEqual(4);
    } finally {
      await s.stop();
      await redis.remove();
    }
  });
});
