/**
 * Redis stops answering (its process frozen with SIGSTOP) for longer than
 * the tasks' claims while two refreshes are writing, then comes back. The
 * tables are written once per (run, table, date): the refresh that was still
 * waiting on its replace is cancelled when its table lock's lease runs out
 * and runs again once; the one whose replace committed during the outage is
 * run again by BullMQ (its claim expired) and finds its write done. Meanwhile
 * /readyz and the board's API answer 503 instead of hanging, /healthz stays
 * 200, and the outage is two log lines. And Redis killed and started again:
 * the reconnection attempts in between are not logged one by one.
 */
import { afterEach, expect, test, vi } from 'vitest';
import { enqueueRun } from '../../src/producer/planner.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { captureLog } from '../support/log-capture.js';
import { metricValue } from '../support/metrics.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis-server.js';
import { startTestService, TEST_NOW, type TestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { waitFor, waitForState } from '../support/wait.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
/** Claims of 4 s: table locks live 8 s, a holder gives its lease up 5.3 s after its last confirmed renewal. */
const LOCK_MS = 4000;
const HELD = 'crm_metrics_daily'; // its replace waits through the outage
const COMMITTED = 'crm_actions_open_snapshot'; // its replace commits during the outage

/** Per table, the first refresh replace waits for `release` (or for its cancellation); commits and cancellations are counted. */
class ReplaceGate {
  calls = 0;
  commits = 0;
  cancelled = 0;
  waiting = false;
  release!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.release = resolve));
}

function holdFirstReplaces(gates: Record<string, ReplaceGate>) {
  return (w: Warehouse): Warehouse => ({
    engine: w.engine,
    execute: (s, o) => w.execute(s, o),
    query: (s, o) => w.query(s, o),
    close: () => w.close(),
    executeAtomic: async (s, o) => {
      const gate = o?.tag?.task === 'refresh' ? gates[o.tag.table ?? ''] : undefined;
      if (gate && gate.calls++ === 0) {
        gate.waiting = true;
        try {
          await new Promise<void>((resolve, reject) => {
            const signal = o?.signal;
            if (signal?.aborted) reject(signal.reason as Error);
            signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
            void gate.opened.then(resolve);
          });
        } catch (e) {
          gate.cancelled++;
          throw e;
        }
      }
      const result = await w.executeAtomic(s, o);
      if (gate) gate.commits++;
      return result;
    },
  });
}

const BOARD_AUTH = { authorization: `Basic ${Buffer.from('ops:secret-pass').toString('base64')}` };

let redis: PrivateRedis | undefined;
let svc: TestService | undefined;
afterEach(async () => {
  redis?.thaw();
  await svc?.stop();
  await redis?.remove();
  svc = undefined;
  redis = undefined;
});

test('an outage longer than the claims: each table written once, the run succeeds, probes answer 503, two log lines', async () => {
  redis = await startPrivateRedis();
  const { lines, byMsg, log } = captureLog();
  const held = new ReplaceGate();
  const committed = new ReplaceGate();
  svc = await startTestService({
    sources: DEMO_SOURCES,
    roles: ['worker', 'web'],
    env: { REDIS_URL: redis.url, JOB_LOCK_MS: String(LOCK_MS) },
    wrap: holdFirstReplaces({ [HELD]: held, [COMMITTED]: committed }),
    log,
  });
  const { runtime } = svc.service;
  const base = `http://${svc.service.host}:${svc.service.port}`;
  await enqueueRun(
    runtime.flows,
    runtime.state,
    svc.config,
    { runId: D, date: D, tables: [HELD, COMMITTED], retention: true },
    new Date(TEST_NOW),
  );
  await waitFor('both refreshes to reach their replace', () => Promise.resolve(held.waiting && committed.waiting));
  await waitFor('/readyz to answer 200', async () => (await fetch(`${base}/readyz`)).status === 200);

  const frozenAt = Date.now();
  redis.freeze();
  committed.release();

  // While Redis does not answer: the probes and the board answer (the requests return), the liveness probe says alive.
  const ready = await fetch(`${base}/readyz`);
  expect(ready.status).toBe(503);
  expect(((await ready.json()) as { checks: { redis: string } }).checks.redis).toMatch(/^unreachable: /);
  const queues = await fetch(`${base}/admin/queues/api/queues`, { headers: BOARD_AUTH });
  expect(queues.status).toBe(503);
  expect(queues.headers.get('retry-after')).toBe('5');
  expect(((await queues.json()) as { detail: string }).detail).toContain('Redis is unreachable');
  expect((await fetch(`${base}/healthz`)).status).toBe(200);

  await waitFor(`the ${COMMITTED} replace to commit`, () => Promise.resolve(committed.commits === 1));
  await waitFor(`the ${HELD} replace to be cancelled (its table lock's lease ran out)`, () => Promise.resolve(held.cancelled === 1));
  // Redis expires keys by its own clock, frozen or not: past the table lock's TTL since the freeze, every claim taken before it has expired.
  await waitFor('the claims taken before the freeze to be past their expiry', () =>
    Promise.resolve(Date.now() - frozenAt > 2 * LOCK_MS + 500),
  );
  expect((await fetch(`${base}/readyz`)).status).toBe(503);
  redis.thaw();

  await waitForState(runtime.queues.validation, `validation__${D}`, ['completed'], 120_000);
  expect(await runtime.state.run(D)).toMatchObject({ outcome: 'success' });
  // Written once per table: the cancelled replace never reached the engine, the committed one was not repeated.
  expect(held).toMatchObject({ calls: 2, cancelled: 1, commits: 1 });
  expect(committed).toMatchObject({ calls: 1, commits: 1 });
  // Both tasks did run twice (their claims had expired), and each success was recorded and counted once.
  expect(byMsg('table lock lost while Redis did not answer: the write was cancelled before its commit, the task runs again')).toMatchObject(
    [{ table: HELD }],
  );
  expect(byMsg('written before by an earlier execution of this task in this run: nothing to write')).toMatchObject([{ table: COMMITTED }]);
  for (const table of [HELD, COMMITTED]) {
    const record = JSON.parse((await runtime.redis.hget(`${svc.prefix}:state:table:${table}`, 'last_refresh')) ?? '{}') as Record<
      string,
      unknown
    >;
    expect(record).toMatchObject({ outcome: 'success', runId: D, date: D });
  }
  const metrics = await (await fetch(`${base}/metrics`)).text();
  for (const table of [HELD, COMMITTED])
    expect(metricValue(metrics, 'crm_task_runs_total', { task: 'refresh', table, outcome: 'success' })).toBe(1);

  // One line when the connection was lost, one when it came back; no stack dumps.
  await waitFor('the restored line', () => Promise.resolve(byMsg('Redis connection restored').length > 0));
  expect(byMsg('Redis connection lost')).toEqual([
    expect.objectContaining({ level: 40, redis: redis.url, reason: expect.any(String) as string }),
  ]);
  expect(byMsg('Redis connection restored')).toEqual([expect.objectContaining({ level: 30, outageSeconds: expect.any(Number) as number })]);
  expect(lines.filter((l) => JSON.stringify(l).includes('"stack"'))).toEqual([]);
  await waitFor('/readyz to answer 200 again', async () => (await fetch(`${base}/readyz`)).status === 200);
}, 120_000);

test('Redis killed and started again: probes and the board answer 503 meanwhile, the outage is two log lines whatever the reconnection attempts', async () => {
  redis = await startPrivateRedis();
  const { lines, byMsg, log } = captureLog();
  svc = await startTestService({ sources: DEMO_SOURCES, roles: ['worker', 'web'], env: { REDIS_URL: redis.url }, log });
  const { runtime } = svc.service;
  const base = `http://${svc.service.host}:${svc.service.port}`;
  const consoleErrors = vi.spyOn(console, 'error');
  try {
    let reconnections = 0;
    runtime.redis.on('reconnecting', () => reconnections++);
    await redis.kill();
    await waitFor('a few reconnection attempts', () => Promise.resolve(reconnections >= 4));
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect((await fetch(`${base}/admin/queues/api/queues`, { headers: BOARD_AUTH })).status).toBe(503);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await redis.restart();
    await waitFor('the restored line', () => Promise.resolve(byMsg('Redis connection restored').length > 0));
    await waitFor('/readyz to answer 200 again', async () => (await fetch(`${base}/readyz`)).status === 200);
    expect(byMsg('Redis connection lost')).toEqual([expect.objectContaining({ level: 40, redis: redis.url })]);
    expect(byMsg('Redis connection restored')).toHaveLength(1);
    expect(lines.filter((l) => JSON.stringify(l).includes('"stack"') || l.level === 50)).toEqual([]);
    // Nor does any connection print its own "Unhandled error event".
    expect(consoleErrors).not.toHaveBeenCalled();
  } finally {
    consoleErrors.mockRestore();
  }
}, 120_000);
