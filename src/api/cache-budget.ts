/**
 * The read API cache's memory budget in its Redis (CACHE_REDIS_URL; by
 * default the queues' Redis, which must never run out): every stored answer is indexed by age
 * with its size, and storing one evicts the oldest until the total is within
 * API_CACHE_MAX_BYTES. An answer over API_CACHE_MAX_ENTRY_BYTES is served but
 * not stored. Entries that expired on their own stay counted until they are
 * the oldest, so the total errs on the safe side.
 */
import type { Redis } from 'ioredis';
import { runScript } from '../queue/scripts.js';

/** Index and bookkeeping overhead counted per stored key (bytes). */
export const ENTRY_OVERHEAD_BYTES = 200;

export interface CacheBudgetOptions {
  readonly redis: Redis;
  /** Where the index lives, e.g. `<prefix>:api:v1`. */
  readonly base: string;
  readonly maxBytes: number;
  readonly maxEntryBytes: number;
}

export class CacheBudget {
  private readonly keys: [index: string, sizes: string, total: string];

  constructor(private readonly o: CacheBudgetOptions) {
    this.keys = [`${o.base}:budget:index`, `${o.base}:budget:sizes`, `${o.base}:budget:bytes`];
  }

  /** False when the answer is too big to be stored at all. */
  fits(body: string): boolean {
    return Buffer.byteLength(body) <= this.o.maxEntryBytes;
  }

  /** Store each [key, body, ttl seconds], then evict the oldest entries until within the budget; returns how many were evicted. */
  async store(entries: readonly (readonly [key: string, body: string, ttlSeconds: number])[], now = Date.now()): Promise<number> {
    const keys = [...this.keys, ...entries.map(([key]) => key)];
    const args = [now, this.o.maxBytes, ENTRY_OVERHEAD_BYTES, ...entries.flatMap(([, body, ttl]) => [body, ttl])];
    return Number(await runScript(this.o.redis, 'storeAnswers', keys, args));
  }

  /** Keys and bytes the cache holds (expired entries not yet evicted included). */
  async usage(): Promise<{ keys: number; bytes: number }> {
    const [keys, bytes] = await Promise.all([this.o.redis.zcard(this.keys[0]), this.o.redis.get(this.keys[2])]);
    return { keys, bytes: Number(bytes ?? 0) };
  }
}
