/**
 * Cache-aside for the read API, in the cache's Redis (CACHE_REDIS_URL); the
 * generations it keys on are read from the recorded state (REDIS_URL).
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
 * - Redis unreachable: answered from the warehouse, uncached, within a
 *   concurrency cap (cache-bypass.ts); cached again once Redis is back.
 * - In front of Redis, the answers this process served lately, in its own
 *   memory (local-answers.ts): used only while it knows the current
 *   generations (it hears every bump), so a hit there is one Redis round trip fewer.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { ApiMetrics, ApiRoute, CacheResult } from '../metrics/api-metrics.js';
import { keyspace } from '../queue/keyspace.js';
import { runScriptBuffer } from '../queue/scripts.js';
import type { StateStore } from '../state/store.js';
import { releaseIfHeld } from '../state/table-lock.js';
import type { TableName } from '../tables/registry.js';
import { WarehouseError } from '../errors.js';
import { CacheBudget } from './cache-budget.js';
import type { CacheBypass } from './cache-bypass.js';
import type { HotKeys } from './hot-keys.js';
import type { LocalAnswers } from './local-answers.js';
import { ApiUnavailableError } from './problem.js';

const STALE_EXTRA_SECONDS = 86_400;

export interface CacheOutcome {
  /** The JSON answer, exactly as stored and sent (read from Redis as bytes: no decoding and re-encoding on a hit). */
  readonly body: string | Buffer;
  readonly result: CacheResult;
}

export interface CacheOptions {
  readonly redis: Redis;
  readonly state: Pick<StateStore, 'generations'>;
  /**
   * The generations' hash when it is in the cache's own Redis (CACHE_REDIS_URL
   * not set apart): a hit is then one round trip (lua/lookup-answer.lua), not two.
   */
  readonly generationsKey?: string;
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
  /** While Redis cannot answer: uncached reads within a cap. Without it, a Redis failure fails the request. */
  readonly bypass?: CacheBypass;
  /** Remembers the answers served, per table, for the warm-up after a refresh (warm.ts); without it nothing is remembered. */
  readonly hot?: HotKeys;
  /** The first tier, in this process's memory (local-answers.ts): a hit there asks Redis nothing. */
  readonly local?: LocalAnswers;
}

/** What a Redis lookup found: the answer's key under the current generations, the answer (null: none), its time to live. */
interface Lookup {
  readonly key: string;
  readonly cached: Buffer | null;
  readonly ttlMs: number;
}

/** An answer's key: its route's start, its tables' generations joined with '.', its parameters' hash (as lookup-answer.lua builds it). */
const answerKey = (start: string, generations: string, id: string): string => `${start}${generations}:${id}`;

/** An error of the cache's own Redis calls (not of the warehouse, nor a bad request): what sends a read past the cache. */
class RedisUnavailable extends Error {
  override name = 'RedisUnavailable';
}
const redisCall = async <T>(call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (e) {
    throw new RedisUnavailable(e instanceof Error ? e.message : String(e), { cause: e });
  }
};

export class ReadCache {
  private readonly inflight = new Map<string, Promise<CacheOutcome>>();
  private readonly base: string;
  private readonly lockMs: number;
  readonly budget: CacheBudget;

  constructor(private readonly o: CacheOptions) {
    this.base = keyspace(o.prefix).answers;
    this.lockMs = o.lockMs ?? 15_000;
    this.budget = new CacheBudget({ redis: o.redis, base: this.base, maxBytes: o.maxBytes, maxEntryBytes: o.maxEntryBytes });
  }

  get enabled(): boolean {
    return this.o.ttlSeconds > 0;
  }

  /**
   * The answer for `params` of `route`, reading `tables`: from the cache, or
   * from `load` (once per key at a time). Remembered as a hot key of each
   * table (loaded again after its next refresh) unless `warm` is false.
   */
  async get(
    route: ApiRoute,
    tables: readonly TableName[],
    params: unknown,
    load: () => Promise<string>,
    warm = true,
  ): Promise<CacheOutcome> {
    // The parameters' hash names the answer in the cache keys and among the hot keys.
    const id = createHash('sha256').update(JSON.stringify(params)).digest('base64url').slice(0, 22);
    if (warm && this.o.hot) for (const t of tables) this.o.hot.note(t, `${route}:${id}`, () => this.get(route, tables, params, load));
    const outcome = await this.lookupOrBypass(route, tables, id, load);
    this.o.metrics?.cache(outcome.result);
    return outcome;
  }

  private async lookupOrBypass(
    route: ApiRoute,
    tables: readonly TableName[],
    id: string,
    load: () => Promise<string>,
  ): Promise<CacheOutcome> {
    if (!this.enabled) return { body: await load(), result: 'bypass' };
    const bypass = this.o.bypass;
    if (!bypass) return this.lookup(route, tables, id, load);
    if (!bypass.redisReady) {
      bypass.failed();
      return { body: await bypass.load(load), result: 'bypass' };
    }
    try {
      return await this.lookup(route, tables, id, load);
    } catch (e) {
      if (!(e instanceof RedisUnavailable)) throw e;
      bypass.failed(e.cause);
      return { body: await bypass.load(load), result: 'bypass' };
    }
  }

  private async lookup(route: ApiRoute, tables: readonly TableName[], id: string, load: () => Promise<string>): Promise<CacheOutcome> {
    const start = `${this.base}:${route}:`;
    const local = this.o.local;
    const known = local?.current(tables);
    if (known !== undefined) {
      const body = local?.get(answerKey(start, known, id));
      if (body !== undefined) {
        this.o.metrics?.localHit();
        return { body, result: 'hit' };
      }
    }
    const { key, cached, ttlMs } = await redisCall(() => this.read(start, tables, id));
    if (cached !== null) {
      local?.set(key, cached, ttlMs);
      return { body: cached, result: 'hit' };
    }
    const pending = this.inflight.get(key);
    if (pending) {
      const shared = await pending;
      return { body: shared.body, result: shared.result === 'stale' ? 'stale' : 'coalesced' };
    }
    const fill = this.fill(key, `${this.base}:stale:${route}:${id}`, load).finally(() => this.inflight.delete(key));
    this.inflight.set(key, fill);
    return fill;
  }

  /**
   * The answer's key (`start` + the tables' current generations + id), the
   * answer stored there (null: none) and its remaining time to live (ms; the
   * first tier keeps it no longer).
   */
  private async read(start: string, tables: readonly TableName[], id: string): Promise<Lookup> {
    const ticket = this.o.local?.ticket();
    if (this.o.generationsKey !== undefined) {
      const reply = await runScriptBuffer(this.o.redis, 'lookupAnswer', [this.o.generationsKey], [start, `:${id}`, ...tables]);
      const [joined, cached = null, ttlMs = 0] = reply as [Buffer, Buffer?, number?];
      this.o.bypass?.answered();
      const generations = joined.toString();
      this.o.local?.learned(ticket, tables, generations.split('.').map(Number));
      return { key: answerKey(start, generations, id), cached, ttlMs };
    }
    const generations = await this.o.state.generations(tables);
    this.o.bypass?.answered();
    this.o.local?.learned(ticket, tables, generations);
    const key = answerKey(start, generations.join('.'), id);
    if (!this.o.local) return { key, cached: await this.o.redis.getBuffer(key), ttlMs: 0 };
    const [[, cached] = [], [, ttlMs] = []] = (await this.o.redis.pipeline().getBuffer(key).pttl(key).exec()) ?? [];
    return { key, cached: Buffer.isBuffer(cached) ? cached : null, ttlMs: Number(ttlMs ?? 0) };
  }

  private async fill(key: string, staleKey: string, load: () => Promise<string>): Promise<CacheOutcome> {
    const lockKey = `${key}:lock`;
    const token = randomUUID();
    for (;;) {
      // A cache Redis that refuses writes (an evicting one at its maxmemory: OOM) still answers reads: load
      // without the lock, as a miss. Any other error sends the read past the cache (RedisUnavailable).
      const locked = await redisCall(() => this.o.redis.set(lockKey, token, 'PX', this.lockMs, 'NX')).catch((e: unknown) => {
        if (e instanceof Error && e.message.startsWith('OOM')) return 'refused' as const;
        throw e;
      });
      if (locked === 'refused') return this.loadAndStore(key, staleKey, load);
      if (locked === 'OK') {
        try {
          // The pod that held the lock before may have stored the answer just before we looked.
          const stored = await redisCall(() => this.o.redis.getBuffer(key));
          if (stored !== null) return { body: stored, result: 'coalesced' };
          return await this.loadAndStore(key, staleKey, load);
        } finally {
          await releaseIfHeld(this.o.redis, lockKey, token).catch(() => undefined);
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
    this.o.local?.set(key, Buffer.from(body), ttl * 1000);
    // The answer is loaded: failing to store it costs a later miss, not this request.
    await this.budget
      .store([
        [key, body, ttl],
        [staleKey, body, ttl + STALE_EXTRA_SECONDS],
      ])
      .catch((err: unknown) => {
        // A cache Redis at its maxmemory (OOM) answers; anything else is an outage.
        if (err instanceof Error && err.message.startsWith('OOM'))
          this.o.log.warn({ err: err.message }, 'read API: answer served but not cached (the cache Redis refused it)');
        else this.o.bypass?.failed(err);
      });
    return { body, result: 'miss' };
  }

  /** Poll the key while the lock is held; undefined once the lock is gone without an answer. */
  private async awaitOther(key: string, lockKey: string): Promise<Buffer | undefined> {
    for (let delay = 5; ; delay = Math.min(100, Math.ceil(delay * 1.5))) {
      await new Promise((r) => setTimeout(r, delay));
      const [[, body] = [], [, held] = []] = (await redisCall(() => this.o.redis.multi().getBuffer(key).exists(lockKey).exec())) ?? [];
      if (Buffer.isBuffer(body)) return body;
      if (held === 0) return undefined;
    }
  }
}
