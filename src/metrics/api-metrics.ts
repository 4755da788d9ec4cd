/**
 * The read API's metrics (web role): requests, latency, cache outcomes and
 * the warehouse queries the API issued. Each web pod counts its own: sum
 * across pods. Labels are bounded: the route names below, the HTTP status.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer')), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export const API_ROUTES = ['metrics', 'priorities', 'actions', 'freshness', 'other'] as const;
export type ApiRoute = (typeof API_ROUTES)[number];

/**
 * hit: served from the cache (Redis, or the process's memory first); miss: this request queried
 * the warehouse; coalesced: waited for another request's query; stale: the warehouse failed and an
 * older answer was served; bypass: cache off or Redis unreachable.
 */
export const CACHE_RESULTS = ['hit', 'miss', 'coalesced', 'stale', 'bypass'] as const;
export type CacheResult = (typeof CACHE_RESULTS)[number];

export interface ApiMetrics {
  request(route: ApiRoute, status: number, seconds: number): void;
  cache(result: CacheResult): void;
  /** A hit served from the process's memory (the first tier), without asking Redis. */
  localHit(): void;
  warehouseQuery(route: ApiRoute): void;
  /** A read answered from the warehouse past the cache because Redis was unreachable. */
  cacheBypass(): void;
  /** Read the cache's size at scrape time (crm_api_cache_keys, crm_api_cache_bytes). */
  watchCache(usage: () => Promise<{ keys: number; bytes: number }>): void;
}

export function registerApiMetrics(registry: Registry): ApiMetrics {
  const requests = new Counter({
    name: 'crm_api_requests_total',
    help: 'Read API requests by route and HTTP status.',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'crm_api_request_duration_seconds',
    help: 'Read API request duration (a cache hit should stay under 5 ms).',
    labelNames: ['route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const cache = new Counter({
    name: 'crm_api_cache_total',
    help:
      'Read API cache lookups by result: hit, miss (queried the warehouse), coalesced (waited for a ' +
      'concurrent query), stale (warehouse failed, older answer served), bypass (cache off, or Redis ' +
      'unreachable).',
    labelNames: ['result'],
    registers: [registry],
  });
  const localHits = new Counter({
    name: 'crm_api_cache_local_hits_total',
    help:
      'Read API: the hits (crm_api_cache_total{result="hit"}) served from the web process\'s own memory, ' +
      'without asking Redis (API_LOCAL_CACHE_MAX_BYTES).',
    registers: [registry],
  });
  const queries = new Counter({
    name: 'crm_api_warehouse_queries_total',
    help: 'Warehouse queries issued by the read API (what the cache saves), by route.',
    labelNames: ['route'],
    registers: [registry],
  });
  const bypass = new Counter({
    name: 'crm_api_cache_bypass_total',
    help:
      'Read API: reads answered straight from the warehouse because the cache (Redis) was unreachable ' +
      '(at most API_UNCACHED_CONCURRENCY at once per process).',
    registers: [registry],
  });
  let usage: (() => Promise<{ keys: number; bytes: number }>) | undefined;
  // Read at scrape time; absent (not 0) while Redis cannot answer.
  const read = (): Promise<{ keys: number; bytes: number } | undefined> =>
    usage ? withTimeout(usage(), 2000).catch(() => undefined) : Promise.resolve(undefined);
  const gauge = (name: string, help: string, pick: (u: { keys: number; bytes: number }) => number): Gauge =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const u = await read();
        if (u === undefined) this.reset();
        else this.set(pick(u));
      },
    });
  gauge(
    'crm_api_cache_keys',
    'Read API: cached answers in Redis (each answer is kept twice: fresh and stale), within API_CACHE_MAX_BYTES.',
    (u) => u.keys,
  );
  gauge('crm_api_cache_bytes', 'Read API: bytes the cached answers take in Redis, as counted against API_CACHE_MAX_BYTES.', (u) => u.bytes);
  for (const result of CACHE_RESULTS) cache.inc({ result }, 0);
  for (const route of ['metrics', 'priorities', 'actions'] as const) queries.inc({ route }, 0);

  return {
    request(route, status, seconds) {
      requests.inc({ route, status: String(status) });
      duration.observe({ route }, seconds);
    },
    cache: (result) => cache.inc({ result }),
    localHit: () => localHits.inc(),
    warehouseQuery: (route) => queries.inc({ route }),
    cacheBypass: () => bypass.inc(),
    watchCache: (fn) => {
      usage = fn;
    },
  };
}
