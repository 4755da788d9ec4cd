/**
 * Liveness on a thread of its own (HEALTH_PORT). The main thread's event
 * loop serves the read API, the board and /metrics, and the embedded engine
 * hands its results back on it: under a burst of requests during a refresh a
 * probe answered there waits behind hundreds of other requests, and a busy
 * (not dead) process would be restarted by its liveness probe. This thread
 * has its own event loop and listener, so it answers within milliseconds
 * however busy the main thread is, and it still tells a hung process from a
 * busy one: the main thread stamps a heartbeat every BEAT_MS, and the probe
 * gets 503 once the stamp is older than HEALTH_MAX_STALL_MS.
 *
 * The thread's code is the CommonJS string below (a worker thread runs plain
 * JavaScript; the service itself runs from TypeScript in the tests); it only
 * uses node:http and the shared stamp.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';
import { listenProblem } from './listen-errors.js';

/** How often the main thread stamps its heartbeat. */
export const BEAT_MS = 250;

export interface LivenessOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** The main thread's event loop not turning for longer than this = not alive (503). */
  readonly maxStallMs: number;
  readonly log: Pick<Logger, 'error'>;
}

export interface Liveness {
  /** The port actually bound. */
  readonly port: number;
  stop(): Promise<void>;
}

/** The body of GET /healthz on HEALTH_PORT. */
export interface LivenessAnswer {
  readonly status: 'ok' | 'stalled';
  /** Milliseconds since the main thread's last heartbeat (at most about BEAT_MS while it turns). */
  readonly event_loop_stall_ms: number;
  readonly detail?: string;
}

const THREAD = `
const { workerData, parentPort } = require('node:worker_threads');
const http = require('node:http');
const { beat, maxStallMs, host, port } = workerData;
const stamp = new Float64Array(beat);
const headers = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
const send = (req, res, status, body, extra) => {
  res.writeHead(status, { ...headers, ...extra }).end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
};
const server = http.createServer((req, res) => {
  const path = (req.url || '').split('?')[0];
  if (path !== '/healthz') return send(req, res, 404, { status: 404, detail: 'only /healthz is served on HEALTH_PORT' });
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return send(req, res, 405, { status: 405, detail: 'use GET /healthz' }, { allow: 'GET, HEAD' });
  }
  const stall = Math.max(0, Math.round(performance.timeOrigin + performance.now() - stamp[0]));
  if (stall <= maxStallMs) return send(req, res, 200, { status: 'ok', event_loop_stall_ms: stall });
  const detail = 'the event loop has not turned for ' + stall + ' ms (over HEALTH_MAX_STALL_MS=' + maxStallMs + ')';
  send(req, res, 503, { status: 'stalled', event_loop_stall_ms: stall, detail });
});
server.on('error', (e) => parentPort.postMessage({ type: 'error', code: e.code, message: e.message }));
server.listen(port, host, () => parentPort.postMessage({ type: 'listening', port: server.address().port }));
parentPort.once('message', () => {
  server.close();
  server.closeAllConnections();
  parentPort.close();
});
`;

/** Start the thread; resolves once it listens (a busy or unusable HEALTH_PORT rejects with a one-line UsageError). */
export async function startLiveness(options: LivenessOptions): Promise<Liveness> {
  const { host, port, maxStallMs, log } = options;
  // Milliseconds on the shared time line (performance.timeOrigin + now) of the main thread's last turn.
  const beat = new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT);
  const stamp = new Float64Array(beat);
  const tick = (): void => {
    stamp[0] = performance.timeOrigin + performance.now();
  };
  tick();
  const timer = setInterval(tick, BEAT_MS);
  timer.unref();
  const worker = new Worker(THREAD, { eval: true, workerData: { beat, maxStallMs, host, port } });
  // The thread must not keep the process alive on its own (stop() is the way out; a crash-exit does not wait for it).
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  try {
    const bound = await new Promise<number>((resolve, reject) => {
      worker.once('message', (m: { type: 'listening'; port: number } | { type: 'error'; code?: string; message: string }) => {
        if (m.type === 'listening') resolve(m.port);
        else reject(listenProblem('HEALTH_PORT', host, port, m.code) ?? new Error(`HEALTH_PORT ${port} on ${host}: ${m.message}`));
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the liveness thread exited (code ${code}) before listening`)));
    });
    // Past start-up a failing thread is a liveness probe that stops answering: say why.
    worker.on('error', (err) => log.error({ err }, 'liveness thread failed: HEALTH_PORT no longer answers'));
    return {
      port: bound,
      stop: async () => {
        clearInterval(timer);
        // Held by the thread until it has closed its listener (unref'd, the process could end first).
        worker.ref();
        worker.postMessage('stop');
        await exited;
      },
    };
  } catch (e) {
    clearInterval(timer);
    await worker.terminate();
    throw e;
  }
}
