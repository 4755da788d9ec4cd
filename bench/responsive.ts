/**
 * Is the API responsive while a refresh runs? The service (web + worker,
 * embedded DuckDB, one process: bench/api-server.ts) answers the dashboard's
 * requests over `--connections` keep-alive clients while the daily run of
 * the next days is planned through the queue, `--refreshes` times one after
 * the other; two probes, each on a thread of its own, open a new connection
 * to /healthz, as a liveness probe does, one request after the other: one on
 * PORT (served by the event loop that serves the API) and one on HEALTH_PORT
 * (the liveness thread the manifests' liveness probe asks).
 *
 *   npm run bench:responsive -- [--scale medium] [--connections 300] [--refreshes 3] [--seed 42]
 *                               [--modes before,after] [--profile dir]
 *
 * Each mode is one service process: `before` runs DuckDB on every core with
 * no in-flight cap (as before both existed: DuckDB's threads = the core
 * count, API_MAX_IN_FLIGHT=0), `after` with the service's defaults (every
 * core but one for DuckDB, the default cap). Printed per mode, over the refreshes only: the
 * service's event-loop delay (p99, max; perf_hooks.monitorEventLoopDelay),
 * /healthz on PORT (`healthz_*`) and on HEALTH_PORT (`liveness_*`): p99,
 * max, probes failed or over 3 s; the API's answers (p99 of all, of the 200s, count of
 * 503s), and the before/after ratios.
 *
 * `name=value` lines on stdout; progress on stderr.
 */
import { fork } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import autocannon from 'autocannon';
import { addDays, parseIsoDate } from '../src/dates.js';
import { isDemoScale } from '../src/demo/seed.js';
import { nextMessage, type Ready } from './api-child.js';
import { dayOfLoads } from './api-load.js';
import type { LoopDelay } from './api-server.js';
import { ensureData } from './data.js';
import { emit, flag, numberFlag, percentile, progress, provideRuntimeFiles } from './harness.js';
import { CATALOG, SCHEMA } from './service.js';

const D = parseIsoDate('2026-11-25');
const HERE = dirname(fileURLToPath(import.meta.url));
/** Answers before the first refresh is planned (the cache warms up). */
const WARM_ANSWERS = 3000;

const MODES = {
  before: { BENCH_DUCKDB_THREADS: String(availableParallelism()), API_MAX_IN_FLIGHT: '0' },
  after: {},
} as const satisfies Record<string, Record<string, string>>;
type Mode = keyof typeof MODES;

/**
 * /healthz over a new connection each time, one after the other (PROBE_INTERVAL_MS apart), on a thread
 * of its own (the load's clients do not delay it); a probe that takes over
 * PROBE_TIMEOUT_MS is given up, as Kubernetes does (and counted as failed).
 */
const PROBE_TIMEOUT_MS = 3000;
/** Between one probe's answer and the next probe (a kubelet asks every 10 s; the bench wants many samples). */
const PROBE_INTERVAL_MS = 50;
const PROBE = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
let recording = false, stopped = false;
const ms = [];
let failed = 0;
parentPort.on('message', (m) => { if (m === 'record') recording = true; else stopped = true; });
function probe() {
  if (stopped) return parentPort.postMessage({ ms, failed });
  const counted = recording;
  const t = performance.now();
  const done = (ok) => { if (counted) { ms.push(performance.now() - t); if (!ok) failed++; } setTimeout(probe, workerData.intervalMs); };
  const req = http.get({ host: '127.0.0.1', port: workerData.port, path: '/healthz', agent: false, timeout: workerData.timeoutMs }, (res) => {
    res.resume();
    res.on('end', () => done(res.statusCode === 200));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => done(false));
}
probe();
`;

interface Probed {
  readonly ms: number[];
  /** Probes that failed or took over PROBE_TIMEOUT_MS. */
  readonly failed: number;
}

/** A probe thread asking /healthz on a port until told to stop. */
function startProbe(port: number): { record(): void; stop(): Promise<Probed> } {
  const probe = new Worker(PROBE, { eval: true, workerData: { port, timeoutMs: PROBE_TIMEOUT_MS, intervalMs: PROBE_INTERVAL_MS } });
  const probed = new Promise<Probed>((resolve) => probe.once('message', resolve));
  return {
    record: () => probe.postMessage('record'),
    stop: async () => {
      probe.postMessage('stop');
      const figures = await probed;
      await probe.terminate();
      return figures;
    },
  };
}

interface Figures {
  readonly loop: LoopDelay;
  /** /healthz on PORT. */
  readonly healthz: Probed;
  /** /healthz on HEALTH_PORT. */
  readonly liveness: Probed;
  /** Answers by status. */
  readonly statuses: Record<number, number>;
  readonly api: number[];
  readonly api200: number[];
  readonly status503: number;
  readonly otherNon2xx: number;
  readonly refreshSeconds: number[];
}

async function phase(
  mode: Mode,
  dataPath: string,
  connections: number,
  refreshes: number,
  seed: number,
  profileDir: string,
): Promise<Figures> {
  const child = fork(join(HERE, 'api-server.js'), [], {
    execArgv: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=service-${mode}.cpuprofile`] : [],
    env: { ...process.env, BENCH_DATA: dataPath, BENCH_DATE: D, API_RATE_LIMIT_PER_MINUTE: '0', ...MODES[mode] },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const ready = await nextMessage<Ready>(child, 'ready');
    const paths = dayOfLoads(ready.subjects, 1000, 10, seed);
    const probes = { healthz: startProbe(ready.port), liveness: startProbe(ready.healthPort) };
    const statuses: Record<number, number> = {};
    let next = 0;
    let recording = false;
    let answered = 0;
    let status = 0;
    const api: number[] = [];
    const api200: number[] = [];
    let status503 = 0;
    let otherNon2xx = 0;
    let warm: () => void = () => undefined;
    const warmed = new Promise<void>((resolve) => (warm = resolve));
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    // --connections 0: the refresh and the probe alone (what the engine itself does to the event loop).
    const load =
      connections === 0
        ? undefined
        : autocannon(
            {
              url: `http://127.0.0.1:${ready.port}`,
              connections,
              amount: Number.MAX_SAFE_INTEGER,
              timeout: 60,
              headers: { authorization: `Bearer ${ready.apiKey}` },
              requests: [
                {
                  method: 'GET',
                  setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length] }),
                  onResponse: (s) => void (status = s),
                },
              ],
            },
            () => done(),
          );
    if (!load) {
      warm();
      done();
    }
    load?.on('response', (_c: unknown, _s: number, _bytes: number, ms: number) => {
      if (++answered === WARM_ANSWERS) warm();
      if (!recording) return;
      api.push(ms);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === 200) api200.push(ms);
      else if (status === 503) status503++;
      else otherNon2xx++;
    });
    await warmed;
    progress(`${mode}: ${connections} connections; ${refreshes} daily run(s) from ${addDays(D, 1)}`);
    const loops: LoopDelay[] = [];
    const seconds: number[] = [];
    recording = true;
    probes.healthz.record();
    probes.liveness.record();
    for (let i = 1; i <= refreshes; i++) {
      const refreshed = nextMessage<{ type: 'refreshed'; seconds: number; loop: LoopDelay }>(child, 'refreshed');
      child.send({ type: 'refresh', date: addDays(D, i) });
      const r = await refreshed;
      loops.push(r.loop);
      seconds.push(r.seconds);
    }
    recording = false;
    const [healthz, liveness] = await Promise.all([probes.healthz.stop(), probes.liveness.stop()]);
    load?.stop();
    await finished;
    const loop = {
      p50: Math.max(...loops.map((l) => l.p50)),
      p99: Math.max(...loops.map((l) => l.p99)),
      max: Math.max(...loops.map((l) => l.max)),
    };
    return { loop, healthz, liveness, statuses, api, api200, status503, otherNon2xx, refreshSeconds: seconds };
  } finally {
    if (child.connected) child.send({ type: 'stop' });
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
  }
}

function report(mode: Mode, f: Figures): void {
  emit(
    `${mode}_refresh_seconds`,
    f.refreshSeconds.reduce((a, b) => a + b, 0),
  );
  emit(`${mode}_event_loop_delay_p99_ms`, f.loop.p99);
  emit(`${mode}_event_loop_delay_max_ms`, f.loop.max);
  for (const [name, p] of [
    ['healthz', f.healthz],
    ['liveness', f.liveness],
  ] as const) {
    emit(`${mode}_${name}_probes`, p.ms.length);
    emit(`${mode}_${name}_p99_ms`, percentile(p.ms, 99));
    emit(`${mode}_${name}_max_ms`, Math.max(...p.ms));
    emit(`${mode}_${name}_failed_or_over_${PROBE_TIMEOUT_MS}ms`, p.failed);
  }
  emit(`${mode}_api_answers`, f.api.length);
  emit(`${mode}_api_p99_ms`, percentile(f.api, 99));
  emit(`${mode}_api_200_p99_ms`, percentile(f.api200, 99));
  emit(`${mode}_api_503`, f.status503);
  emit(`${mode}_api_other_non_2xx`, f.otherNon2xx);
  emit(
    `${mode}_api_statuses`,
    Object.entries(f.statuses)
      .map(([k, v]) => `${k}:${v}`)
      .join(','),
  );
}

async function main(args: readonly string[]): Promise<void> {
  provideRuntimeFiles();
  const loadAtStart = loadavg()[0] ?? 0;
  const scale = flag(args, 'scale', 'medium');
  if (!isDemoScale(scale)) throw new Error(`--scale ${scale}: use small, medium or large`);
  const modes = flag(args, 'modes', 'before,after').split(',');
  for (const m of modes) if (!(m in MODES)) throw new Error(`--modes ${m}: use before, after or both (before,after)`);
  const connections = numberFlag(args, 'connections', 300, 0);
  const refreshes = numberFlag(args, 'refreshes', 3);
  const seed = numberFlag(args, 'seed', 42);
  const profileDir = flag(args, 'profile', '');
  const data = await ensureData({ scale, seed: 42, endDate: D, catalog: CATALOG, sourceSchema: SCHEMA });
  emit('scale', scale);
  emit('connections', connections);
  emit('refreshes', refreshes);
  emit('cores', availableParallelism());
  const figures: Partial<Record<Mode, Figures>> = {};
  for (const m of modes as Mode[]) {
    const f = await phase(m, data.path, connections, refreshes, seed, profileDir);
    figures[m] = f;
    report(m, f);
  }
  const { before, after } = figures;
  if (before && after) {
    emit('event_loop_delay_p99_ratio', before.loop.p99 / after.loop.p99);
    emit('event_loop_delay_max_ratio', before.loop.max / after.loop.max);
    emit('healthz_p99_ratio', percentile(before.healthz.ms, 99) / percentile(after.healthz.ms, 99));
    emit('healthz_max_ratio', Math.max(...before.healthz.ms) / Math.max(...after.healthz.ms));
    emit('api_200_p99_ratio', percentile(before.api200, 99) / percentile(after.api200, 99));
  }
  // Other work on the machine shows in the tail latencies: the 1-minute load average before and after.
  emit('load_avg_1m', `${loadAtStart.toFixed(2)}->${(loadavg()[0] ?? 0).toFixed(2)}`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`bench:responsive failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
