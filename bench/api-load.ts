/**
 * bench:api's load: the day of the original plan (users × dashboard loads,
 * each load = the four endpoints with the user's filters), shuffled into one
 * sequence and replayed by autocannon over keep-alive connections, each
 * response timed and classified by its X-Cache header.
 */
import { writeFileSync } from 'node:fs';
import autocannon from 'autocannon';

/** Who a user is: headquarters (no filter), an organization's owner, or a location's manager. */
export const PROFILE_MIX = { network: 0.05, organization: 0.25, location: 0.7 } as const;

/** A small deterministic generator (mulberry32), so two runs replay the same day. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The day's requests in order: `users` users with a fixed profile each, `loads` dashboard loads per user, interleaved at random. */
export function dayOfLoads(subjects: readonly (readonly [string, string])[], users: number, loads: number, seed: number): string[] {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const orgs = [...new Set(subjects.map(([o]) => o))];
  const filters = Array.from({ length: users }, () => {
    const r = rnd();
    if (r < PROFILE_MIX.network) return '';
    if (r < PROFILE_MIX.network + PROFILE_MIX.organization) return `organization_id=${encodeURIComponent(pick(orgs))}`;
    const [org, loc] = pick(subjects);
    return `organization_id=${encodeURIComponent(org)}&location_id=${encodeURIComponent(loc)}`;
  });
  const order = Array.from({ length: users * loads }, (_, i) => i % users);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order.flatMap((user) => {
    const q = filters[user] ?? '';
    const qs = q === '' ? '' : `?${q}`;
    return ['/api/v1/freshness', `/api/v1/metrics${qs}`, `/api/v1/priorities${qs}`, `/api/v1/actions${qs}`];
  });
}

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  /** Response times (ms) by X-Cache value; `freshness` for the answers without one. */
  readonly latencies: Readonly<Record<string, number[]>>;
  /** The hits answered before `atHalf` (the refresh) was called. */
  readonly hitsBeforeHalf: readonly number[];
  readonly non2xx: number;
  readonly errors: number;
}

export interface LoadOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly paths: readonly string[];
  readonly connections: number;
  /** Called once, when half of the requests have been answered. */
  readonly atHalf?: () => void;
  /** Write one line per answer here: elapsed ms, X-Cache (or freshness), response ms, bytes. */
  readonly traceFile?: string;
}

export function runLoad(o: LoadOptions): Promise<LoadResult> {
  let next = 0;
  let answered = 0;
  let lastCache = 'freshness';
  let non2xx = 0;
  const latencies: Record<string, number[]> = {};
  const started = performance.now();
  // The last answer's time, not autocannon's end: autocannon ends on its once-a-second tick, which would
  // round the load's duration up to about the next whole second.
  let lastAnswerAt = started;
  const trace: string[] = [];
  const half = Math.floor(o.paths.length / 2);
  const hitsBeforeHalf: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: o.baseUrl,
        connections: o.connections,
        amount: o.paths.length,
        timeout: 30,
        headers: { authorization: `Bearer ${o.apiKey}` },
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => ({ ...req, path: o.paths[next++ % o.paths.length] }),
            // Called just before autocannon's 'response' event for the same answer (same tick).
            onResponse: (status, _body, _context, headers) => {
              // Header names as the server spelled them (X-Cache).
              const cache = headers?.['X-Cache'] ?? headers?.['x-cache'];
              lastCache = typeof cache === 'string' ? cache : 'freshness';
              if (status < 200 || status >= 300) non2xx++;
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        if (o.traceFile) writeFileSync(o.traceFile, `${trace.join('\n')}\n`);
        resolve({
          requests: answered,
          seconds: (lastAnswerAt - started) / 1000,
          latencies,
          hitsBeforeHalf,
          non2xx,
          errors: result.errors + result.timeouts,
        });
      },
    );
    instance.on('response', (_client: unknown, _status: number, bytes: number, ms: number) => {
      (latencies[lastCache] ??= []).push(ms);
      if (lastCache === 'hit' && answered < half) hitsBeforeHalf.push(ms);
      if (o.traceFile) trace.push(`${(performance.now() - started).toFixed(1)},${lastCache},${ms.toFixed(2)},${bytes}`);
      answered++;
      lastAnswerAt = performance.now();
      if (answered === half) o.atHalf?.();
    });
  });
}
