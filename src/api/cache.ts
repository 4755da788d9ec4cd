/**
 * Cache-aside for the read API, in Redis.
 *
 * - Keys carry the generation of every table the answer reads
 *   (`…:api:v1:<route>:<generations>:<hash of the parameters>`). A refresh bumps
 *   its table's generation right after its replace commits, so the next read
 *   looks up a new key and queries the new data; old keys are never read
 *   again and simply expire (CACHE_TTL_SECONDS), or are evicted first when the
 *   budget is reached. Nothing scans keys.
 * - Single flight: concurrent misses of one key in this process share one
 *   promise; across web pods, a short Redis lock (SET NX PX) lets one pod
 *   query while the others poll the cache key.
 * - Stale-while-error: each answer is also kept under a generation-less key
 *   (TTL + 1 day); when the warehouse cannot answer, that older answer is
 *   served, marked stale. With nothing to serve, ApiUnavailableError (503).
 * - Bounded: within API_CACHE_MAX_BYTES, oldest evicted first; answers over
 *   API_CACHE_MAX_ENTRY_BYTES are not stored (cache-budget.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { ApiMetrics, ApiRoute, CacheResult } from '../metrics/api-metrics.js';
import type { StateStore } from '../state/store.js';
import type { TableName } from '../tables/registry.js';
import { WarehouseError } from '../errors.js';
import { CacheBudget } from './cache-budget.js';

/** Bump when the answers' format changes, so a deploy never serves the old format. */
const FORMAT = 'v1';
const STALE_EXTRA_SECONDS = 86_400;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface CacheOutcome {
  /** The JSON answer, exactly as stored and sent (read from Redis as bytes: no decoding and re-encoding on a hit). */
  readonly body: string | Buffer;
  readonly result: CacheResult;
}

/** The warehouse could not answer and no earlier answer is cached: HTTP 503. */
export class ApiUnavailableError extends Error {
  override name = 'ApiUnavailableError';
  readonly retryAfterSeconds = 5;
}

export interface CacheOptions {
  readonly redis: Redis;
  readonly state: Pick<StateStore, 'generations'>;
  readonly prefix: string;
  /** 0 = cache off: every read goes to the warehouse. */
  readonly ttlSeconds: number;
  readonly log: Logger;
  readonly metrics?: ApiMetrics;
  /** How long one pod may hold a key's loading lock (ms); then another pod may try. */
  readonly lockMs?: number;
  /** API_CACHE_MAX_BYTES: the oldest answers are evicted beyond it. */
  readonly maxBytes: number;
  /** API_CACHE_MAX_ENTRY_BYTES: a larger answer is not stored. */
  readonly maxEntryBytes: number;
}

export class ReadCache {
  private readonly inflight = new Map<string, Promise<CacheOutcome>>();
  private readonly base: string;
  private readonly lockMs: number;
  readonly budget: CacheBudget;

  constructor(private readonly o: CacheOptions) {
    this.base = `${o.prefix}:api:${FORMAT}`;
    this.lockMs = o.lockMs ?? 15_000;
    this.budget = new CacheBudget({ redis: o.redis, base: this.base, maxBytes: o.maxBytes, maxEntryBytes: o.maxEntryBytes });
  }

  get enabled(): boolean {
    return this.o.ttlSeconds > 0;
  }

  /** The answer for `params` of `route`, reading `tables`: from the cache, or from `load` (once per key at a time). */
  async get(route: ApiRoute, tables: readonly TableName[], params: unknown, load: () => Promise<string>): Promise<CacheOutcome> {
    const outcome = await this.lookup(route, tables, params, load);
    this.o.metrics?.cache(outcome.result);
    return outcome;
  }

  private async lookup(route: ApiRoute, tables: readonly TableName[], params: unknown, load: () => Promise<string>): Promise<CacheOutcome> {
    if (!this.enabled) return { body: await load(), result: 'bypass' };
    const id = createHash('sha256').update(JSON.stringify(params)).digest('base64url').slice(0, 22);
    const generations = await this.o.state.generations(tables);
    const key = `${this.base}:${route}:${generations.join('.')}:${id}`;
    const cached = await this.o.redis.getBuffer(key);
    if (cached !== null) return { body: cached, result: 'hit' };
    const pending = this.inflight.get(key);
    if (pending) {
      const shared = await pending;
      return { body: shared.body, result: shared.result === 'stale' ? 'stale' : 'coalesced' };
    }
    const fill = this.fill(key, `${this.base}:stale:${route}:${id}`, load).finally(() => this.inflight.delete(key));
    this.inflight.set(key, fill);
    return fill;
  }

  private async fill(key: string, staleKey: string, load: () => Promise<string>): Promise<CacheOutcome> {
    const lockKey = `${key}:lock`;
    const token = randomUUID();
    for (;;) {
      if ((await this.o.redis.set(lockKey, token, 'PX', this.lockMs, 'NX')) === 'OK') {
        try {
          // The pod that held the lock before may have stored the answer just before we looked.
          const stored = await this.o.redis.getBuffer(key);
          if (stored !== null) return { body: stored, result: 'coalesced' };
          return await this.loadAndStore(key, staleKey, load);
        } finally {
          await this.o.redis.eval(RELEASE, 1, lockKey, token).catch(() => undefined);
        }
      }
      // Another pod is loading this key: wait for its answer, or for its lock to go (it failed or took too long).
      const body = await this.awaitOther(key, lockKey);
      if (body !== undefined) return { body, result: 'coalesced' };
    }
  }

  private async loadAndStore(key: string, staleKey: string, load: () => Promise<string>): Promise<CacheOutcome> {
    let body: string;
    try {
      body = await load();
    } catch (e) {
      if (!(e instanceof WarehouseError)) throw e;
      const stale = await this.o.redis.getBuffer(staleKey).catch(() => null);
      this.o.log.warn({ err: e, stale: stale !== null }, 'read API: the warehouse could not answer');
      if (stale !== null) return { body: stale, result: 'stale' };
      throw new ApiUnavailableError('the warehouse could not answer and no earlier answer is cached: try again shortly', { cause: e });
    }
    const ttl = this.o.ttlSeconds;
    if (!this.budget.fits(body)) {
      this.o.log.debug({ key, bytes: Buffer.byteLength(body) }, 'read API: answer over API_CACHE_MAX_ENTRY_BYTES, served but not cached');
      return { body, result: 'miss' };
    }
    await this.budget.store([
      [key, body, ttl],
      [staleKey, body, ttl + STALE_EXTRA_SECONDS],
    ]);
    return { body, result: 'miss' };
  }

  /** Poll the key while the lock is held; undefined once the lock is gone without an answer. */
  private async awaitOther(key: string, lockKey: string): Promise<Buffer | undefined> {
    for (let delay = 5; ; delay = Math.min(100, Math.ceil(delay * 1.5))) {
      await new Promise((r) => setTimeout(r, delay));
      const [[, body] = [], [, held] = []] = (await this.o.redis.multi().getBuffer(key).exists(lockKey).exec()) ?? [];
      if (Buffer.isBuffer(body)) return body;
      if (held === 0) return undefined;
    }
  }
}
