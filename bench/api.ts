/**
 * Read API benchmark: the original plan's day on loopback.
 *
 *   npm run bench:api -- [--scale medium] [--users 1000] [--loads 10] [--connections 2] [--seed 42]
 *                        [--uncached false] [--trace file.csv]
 *
 * 1,000 users × 10 dashboard loads (each load = freshness, metrics,
 * priorities, actions, with the user's filters: 5% the whole network, 25% one
 * organization, 70% one location, drawn from the demo data), shuffled into
 * one sequence and replayed as fast as `--connections` keep-alive clients go
 * (2: two requests in flight at any time; more connections only queue
 * behind the service's one event loop),
 * with the next day's run planned through the queue when half of the
 * requests are answered. The service (web + worker, embedded DuckDB) runs in
 * a process of its own (bench/api-server.ts). The same day is replayed with
 * CACHE_TTL_SECONDS=0 to count the warehouse queries the cache saves. Then
 * the bytes on the wire of 90 days of whole-network metrics, plain, gzip and
 * brotli (Accept-Encoding).
 *
 * Beside the times, `server_cpu_ms_per_request`: the service process's CPU
 * over the load per request (its refresh of the next day included), which a
 * shared machine moves less than it moves times.
 *
 * `name=value` lines on stdout; progress on stderr.
 */
import { fork } from 'node:child_process';
import { request } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addDays, parseIsoDate } from '../src/dates.js';
import { isDemoScale } from '../src/demo/seed.js';
import { nextMessage, type Ready } from './api-child.js';
import { dayOfLoads, PROFILE_MIX, runLoad, type LoadResult } from './api-load.js';
import { ensureData } from './data.js';
import { emit, flag, numberFlag, percentile, progress, provideRuntimeFiles } from './harness.js';
import { CATALOG, SCHEMA } from './service.js';

/** The day the cached benchmark data ends (bench:refresh uses the same files). */
const D = parseIsoDate('2026-11-25');
const HERE = dirname(fileURLToPath(import.meta.url));
const TARGETS = { hitRate: 0.95, hitP99Ms: 5, rps: 2000, reduction: 0.93 } as const;

interface Phase {
  readonly load: LoadResult;
  /** Distinct (organization, location) pairs the users are drawn from. */
  readonly subjects: number;
  readonly warehouseQueries: number;
  /** Hits served from the service process's memory, asking Redis nothing (crm_api_cache_local_hits_total), of all its hits (warm-ups too). */
  readonly localHits: number;
  readonly serverHits: number;
  /** CPU seconds the service process used over the load (its refresh of the next day included): less moved by a noisy machine than times. */
  readonly serverCpuSeconds: number;
  /** CPU seconds this process (the load generator) used over the load: on the same cores, what the service cannot use. */
  readonly clientCpuSeconds: number;
  readonly refreshSeconds: number;
  /** The refresh's validation completed before the last request was answered. */
  readonly refreshInLoad: boolean;
  /** Bytes on the wire of 90 days of whole-network metrics, per Accept-Encoding. */
  readonly metricsBytes: Readonly<Record<Encoding, number>>;
}

const ENCODINGS = ['identity', 'gzip', 'br'] as const;
type Encoding = (typeof ENCODINGS)[number];

/** The body's size as sent (node:http does not decompress), and the encoding the server chose. */
function wireBytes(url: string, apiKey: string, encoding: Encoding): Promise<{ bytes: number; chosen: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${apiKey}`, 'accept-encoding': encoding } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () =>
        res.statusCode === 200
          ? resolve({ bytes, chosen: String(res.headers['content-encoding'] ?? 'identity') })
          : reject(new Error(`${url}: HTTP ${res.statusCode}`)),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** 90 days of the whole network's metrics (the route's largest common answer), once per encoding. */
async function metricsBytes(baseUrl: string, apiKey: string): Promise<Record<Encoding, number>> {
  const url = `${baseUrl}/api/v1/metrics?from=${addDays(D, -89)}&to=${D}`;
  const sizes = {} as Record<Encoding, number>;
  for (const encoding of ENCODINGS) {
    const { bytes, chosen } = await wireBytes(url, apiKey, encoding);
    if (chosen !== encoding) throw new Error(`asked for ${encoding}, the API answered ${chosen}`);
    sizes[encoding] = bytes;
  }
  return sizes;
}

/** Sum of a counter's series in a Prometheus text exposition (those whose labels include `labels`, e.g. `result="hit"`). */
function counterSum(text: string, name: string, labels = ''): number {
  return text
    .split('\n')
    .filter((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && l.includes(labels))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

interface Options {
  readonly users: number;
  readonly loads: number;
  readonly connections: number;
  readonly seed: number;
  readonly traceFile?: string;
}

async function phase(dataPath: string, ttl: string, opts: Options): Promise<Phase> {
  const child = fork(join(HERE, 'api-server.js'), [], {
    // One client at full concurrency, as the dashboard backend: the API's own limits, not the per-client rate limit.
    env: { ...process.env, BENCH_DATA: dataPath, BENCH_DATE: D, CACHE_TTL_SECONDS: ttl, API_RATE_LIMIT_PER_MINUTE: '0' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const ready = await nextMessage<Ready>(child, 'ready');
    const baseUrl = `http://127.0.0.1:${ready.port}`;
    const paths = dayOfLoads(ready.subjects, opts.users, opts.loads, opts.seed);
    progress(
      `CACHE_TTL_SECONDS=${ttl}: ${paths.length} requests over ${opts.connections} connections; the ${addDays(D, 1)} run is planned half-way`,
    );
    const cpuAtStart = counterSum(await (await fetch(`${baseUrl}/metrics`)).text(), 'crm_process_cpu_seconds_total');
    const clientCpuAtStart = process.cpuUsage();
    let refreshed: Promise<number> | undefined;
    let refreshDoneAt = Infinity;
    const load = await runLoad({
      baseUrl,
      apiKey: ready.apiKey,
      paths,
      connections: opts.connections,
      traceFile: opts.traceFile,
      atHalf: () => {
        refreshed = nextMessage<{ type: 'refreshed'; seconds: number }>(child, 'refreshed').then((m) => {
          refreshDoneAt = performance.now();
          return m.seconds;
        });
        child.send({ type: 'refresh', date: addDays(D, 1) });
      },
    });
    const loadDoneAt = performance.now();
    const clientCpu = process.cpuUsage(clientCpuAtStart);
    const clientCpuSeconds = (clientCpu.user + clientCpu.system) / 1e6;
    if (!refreshed) throw new Error('the refresh was never planned');
    const refreshSeconds = await refreshed;
    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    const warehouseQueries = counterSum(metrics, 'crm_api_warehouse_queries_total');
    const localHits = counterSum(metrics, 'crm_api_cache_local_hits_total');
    const serverHits = counterSum(metrics, 'crm_api_cache_total', 'result="hit"');
    const serverCpuSeconds = counterSum(metrics, 'crm_process_cpu_seconds_total') - cpuAtStart;
    const bytes = await metricsBytes(baseUrl, ready.apiKey);
    return {
      load,
      subjects: ready.subjects.length,
      warehouseQueries,
      localHits,
      serverHits,
      serverCpuSeconds,
      clientCpuSeconds,
      refreshSeconds,
      refreshInLoad: refreshDoneAt <= loadDoneAt,
      metricsBytes: bytes,
    };
  } finally {
    if (child.connected) child.send({ type: 'stop' });
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
  }
}

async function main(args: readonly string[]): Promise<void> {
  provideRuntimeFiles();
  const loadAtStart = loadavg()[0] ?? 0;
  const scale = flag(args, 'scale', 'medium');
  if (!isDemoScale(scale)) throw new Error(`--scale ${scale}: use small, medium or large`);
  const trace = flag(args, 'trace', '');
  const opts: Options = {
    users: numberFlag(args, 'users', 1000),
    loads: numberFlag(args, 'loads', 10),
    connections: numberFlag(args, 'connections', 2),
    seed: numberFlag(args, 'seed', 42),
  };
  const data = await ensureData({ scale, seed: 42, endDate: D, catalog: CATALOG, sourceSchema: SCHEMA });
  const cached = await phase(data.path, '14400', { ...opts, traceFile: trace || undefined });
  // --uncached false: skip the cache-off replay (its count is then the cacheable requests, one query each).
  const uncached = flag(args, 'uncached', 'true') === 'false' ? undefined : await phase(data.path, '0', opts);

  const l = cached.load.latencies;
  const of = (k: string): number[] => l[k] ?? [];
  const lookups = ['hit', 'miss', 'coalesced', 'stale'].reduce((n, k) => n + of(k).length, 0);
  const hitRate = of('hit').length / lookups;
  const rps = cached.load.requests / cached.load.seconds;
  const hitP99 = percentile(of('hit'), 99);
  const uncachedQueries = uncached?.warehouseQueries ?? lookups;
  const reduction = 1 - cached.warehouseQueries / uncachedQueries;
  const all = (r: LoadResult): number[] => Object.values(r.latencies).flat();

  emit('scale', scale);
  emit('users', opts.users);
  emit('loads_per_user', opts.loads);
  emit(
    'profile_mix',
    Object.entries(PROFILE_MIX)
      .map(([k, v]) => `${k}:${v}`)
      .join(','),
  );
  emit('locations', cached.subjects);
  emit('connections', opts.connections);
  emit('requests', cached.load.requests);
  emit('rps', rps);
  emit('server_cpu_ms_per_request', (cached.serverCpuSeconds * 1000) / cached.load.requests);
  emit('client_cpu_ms_per_request', (cached.clientCpuSeconds * 1000) / cached.load.requests);
  // Both sides share the cores: the request rate their CPU alone would allow on this machine.
  emit('cpu_bound_rps', (availableParallelism() * cached.load.requests) / (cached.serverCpuSeconds + cached.clientCpuSeconds));
  emit('hit_p50_ms', percentile(of('hit'), 50));
  emit('hit_p99_ms', hitP99);
  emit('hit_p99_ms_before_refresh', percentile(cached.load.hitsBeforeHalf, 99));
  emit('miss_p50_ms', percentile(of('miss'), 50));
  emit('miss_p99_ms', percentile(of('miss'), 99));
  emit('freshness_p99_ms', percentile(of('freshness'), 99));
  emit('all_p99_ms', percentile(all(cached.load), 99));
  emit('cache_lookups', lookups);
  emit('hits', of('hit').length);
  emit('misses', of('miss').length);
  emit('coalesced', of('coalesced').length);
  emit('stale', of('stale').length);
  emit('hit_rate', hitRate);
  // Of the hits, those the process's memory served without a Redis round trip.
  emit('local_hit_share', cached.localHits / Math.max(1, cached.serverHits));
  emit('warehouse_queries', cached.warehouseQueries);
  emit('warehouse_queries_uncached', uncached ? uncachedQueries : `${uncachedQueries}(not_replayed)`);
  emit('warehouse_query_reduction', reduction);
  emit('refresh_seconds', cached.refreshSeconds);
  emit('refresh_done_before_load_end', String(cached.refreshInLoad));
  emit('non_2xx', cached.load.non2xx + cached.load.errors);
  const b = cached.metricsBytes;
  emit('metrics_90d_bytes_identity', b.identity);
  emit('metrics_90d_bytes_gzip', b.gzip);
  emit('metrics_90d_bytes_br', b.br);
  emit('metrics_90d_gzip_saving', 1 - b.gzip / b.identity);
  emit('metrics_90d_br_saving', 1 - b.br / b.identity);
  if (uncached) {
    emit('uncached_rps', uncached.load.requests / uncached.load.seconds);
    emit('uncached_p50_ms', percentile(all(uncached.load), 50));
    emit('uncached_p99_ms', percentile(all(uncached.load), 99));
    emit('uncached_non_2xx', uncached.load.non2xx + uncached.load.errors);
  }
  // Other work on the machine shows in the tail latencies: the 1-minute load average before and after.
  emit('load_avg_1m', `${loadAtStart.toFixed(2)}->${(loadavg()[0] ?? 0).toFixed(2)}`);
  const met = [
    `hit_rate>=${TARGETS.hitRate}:${hitRate >= TARGETS.hitRate}`,
    `hit_p99_ms<=${TARGETS.hitP99Ms}:${hitP99 <= TARGETS.hitP99Ms}`,
    `rps>=${TARGETS.rps}:${rps >= TARGETS.rps}`,
    `warehouse_query_reduction>=${TARGETS.reduction}:${reduction >= TARGETS.reduction}`,
  ];
  emit('targets', met.join(','));
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`bench:api failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
