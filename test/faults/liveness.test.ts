/**
 * Liveness on a thread of its own (HEALTH_PORT): it answers while the main
 * thread's event loop cannot (held here with Atomics.wait, the way a
 * synchronous engine call or a burst of requests holds it), and it says 503
 * once the loop has not turned for HEALTH_MAX_STALL_MS, so a hung process is
 * still restarted. The requests come from a thread of the test's own, since
 * the test's main thread is the one held.
 */
import { createServer } from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, test } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { startLiveness, type LivenessAnswer } from '../../src/web/liveness.js';
import { startTestService, type TestService } from '../support/service.js';
import { waitFor } from '../support/wait.js';

let svc: TestService | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

const MAX_STALL_MS = 3000;

type Got = { status: number; body: LivenessAnswer } | { error: string };

interface HeldFigures {
  /** HEALTH_PORT right after the main thread was held. */
  readonly first: Got;
  /** /healthz on PORT, given 500 ms, while the main thread is held. */
  readonly mainPort: Got;
  /** HEALTH_PORT asked again and again until it said 503 (given up after 30 s). */
  readonly last: Got;
}

/** Hold this thread's event loop while another thread asks both ports; the asker releases it when done. */
function holdWhileAsking(livePort: number, mainPort: number): Promise<HeldFigures> {
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const asker = new Worker(
    `
const { workerData, parentPort } = require('node:worker_threads');
const { flags, livePort, mainPort } = workerData;
const get = async (port) => {
  try {
    const r = await fetch('http://127.0.0.1:' + port + '/healthz', { signal: AbortSignal.timeout(500) });
    return { status: r.status, body: await r.json() };
  } catch (e) {
    return { error: e.name };
  }
};
parentPort.once('message', async () => {
  Atomics.wait(flags, 0, 0);
  const first = await get(livePort);
  const mainPort_ = await get(mainPort);
  let last = first;
  const t0 = performance.now();
  while (last.status !== 503 && performance.now() - t0 < 30000) last = await get(livePort);
  parentPort.postMessage({ first, mainPort: mainPort_, last });
  Atomics.store(flags, 1, 1);
  Atomics.notify(flags, 1);
});
`,
    { eval: true, workerData: { flags, livePort, mainPort } },
  );
  const answered = new Promise<HeldFigures>((resolve, reject) => {
    asker.once('message', resolve);
    asker.once('error', reject);
  });
  return new Promise<HeldFigures>((resolve, reject) => {
    asker.once('online', () => {
      asker.postMessage('go');
      Atomics.store(flags, 0, 1);
      Atomics.notify(flags, 0);
      // Held until the asker is done (at most 60 s): no timer, no socket of this thread runs meanwhile.
      Atomics.wait(flags, 1, 0, 60_000);
      answered.then(resolve, reject).finally(() => void asker.terminate());
    });
  });
}

describe('liveness on HEALTH_PORT', () => {
  test('answers while the event loop is held, 503 once held past HEALTH_MAX_STALL_MS, 200 again once it turns', async () => {
    svc = await startTestService({ env: { HEALTH_PORT: '0', HEALTH_MAX_STALL_MS: String(MAX_STALL_MS) } });
    const { port, healthPort } = svc.service;
    if (healthPort === undefined) throw new Error('HEALTH_PORT=0 should have started the liveness listener');
    expect(healthPort).not.toBe(port);
    const live = `http://127.0.0.1:${healthPort}/healthz`;
    await waitFor('the liveness listener to answer 200', async () => (await fetch(live)).status === 200);

    const held = await holdWhileAsking(healthPort, port);
    expect(held.first).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(held.mainPort).toEqual({ error: 'TimeoutError' }); // the held loop cannot answer /healthz on PORT
    expect(held.last).toMatchObject({ status: 503, body: { status: 'stalled' } });
    if (!('body' in held.last)) throw new Error('no answer');
    expect(held.last.body.event_loop_stall_ms).toBeGreaterThan(MAX_STALL_MS);
    expect(held.last.body.detail).toMatch(/^the event loop has not turned for \d+ ms \(over HEALTH_MAX_STALL_MS=3000\)$/);

    await waitFor('liveness to say 200 again', async () => (await fetch(live)).status === 200);
    const again = (await (await fetch(live)).json()) as LivenessAnswer;
    expect(again.status).toBe('ok');
    expect(again.event_loop_stall_ms).toBeLessThanOrEqual(MAX_STALL_MS);
  });

  test('only GET/HEAD /healthz; stopped with the service', async () => {
    svc = await startTestService({ env: { HEALTH_PORT: '0' } });
    const base = `http://127.0.0.1:${svc.service.healthPort}`;
    const other = await fetch(`${base}/metrics`);
    expect([other.status, other.headers.get('x-content-type-options')]).toEqual([404, 'nosniff']);
    const post = await fetch(`${base}/healthz`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
    expect([head.status, head.headers.get('cache-control'), await head.text()]).toEqual([200, 'no-store', '']);
    await svc.stop();
    svc = undefined;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  test('without HEALTH_PORT, no liveness listener', async () => {
    svc = await startTestService();
    expect(svc.service.healthPort).toBeUndefined();
  });

  test('a busy HEALTH_PORT is a one-line start-up error naming it', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const busy = (taken.address() as { port: number }).port;
    try {
      const started = startLiveness({ host: '127.0.0.1', port: busy, maxStallMs: 1000, log: createLogger('silent') });
      await expect(started).rejects.toThrow(UsageError);
      await expect(started).rejects.toThrow(
        `HEALTH_PORT ${busy} on 127.0.0.1 is already in use (127.0.0.1:${busy}): stop the process using it or set HEALTH_PORT to a free port`,
      );
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });
});
