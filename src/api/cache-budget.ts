/**
 * The read API cache's memory budget in its Redis (CACHE_REDIS_URL; by
 * default the queues' Redis, which must never run out): every stored answer is indexed by age
 * with its size, and storing one evicts the oldest until the total is within
 * API_CACHE_MAX_BYTES. An answer over API_CACHE_MAX_ENTRY_BYTES is served but
 * not stored. Entries that expired on their own stay counted until they are
 * the oldest, so the total errs on the safe side.
 */
import type { Redis } from 'ioredis';

/** Index and bookkeeping overhead counted per stored key (bytes). */
export const ENTRY_OVERHEAD_BYTES = 200;

/**
 * KEYS: index (zset key → stored at), sizes (hash key → bytes), total (string);
 * then pairs of [key] with ARGV pairs [body, ttl seconds]. ARGV[1] now, ARGV[2] max bytes.
 * Returns the keys evicted.
 */
const STORE = `local index, sizes, total = KEYS[1], KEYS[2], KEYS[3]
local now, max = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 4, #KEYS do
  local key, body, ttl = KEYS[i], ARGV[1 + 2 * (i - 3)], ARGV[2 + 2 * (i - 3)]
  local size = string.len(body) + string.len(key) + ${ENTRY_OVERHEAD_BYTES}
  local old = tonumber(redis.call('HGET', sizes, key) or '0')
  redis.call('SET', key, body, 'EX', ttl)
  redis.call('ZADD', index, now, key)
  redis.call('HSET', sizes, key, size)
  redis.call('INCRBY', total, size - old)
end
local evicted = 0
while tonumber(redis.call('GET', total) or '0') > max do
  local oldest = redis.call('ZPOPMIN', index)
  if #oldest == 0 then redis.call('SET', total, 0) break end
  local size = tonumber(redis.call('HGET', sizes, oldest[1]) or '0')
  redis.call('HDEL', sizes, oldest[1])
  redis.call('DEL', oldest[1])
  redis.call('DECRBY', total, size)
  evicted = evicted + 1
end
return evicted`;

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
    const args = [String(now), String(this.o.maxBytes), ...entries.flatMap(([, body, ttl]) => [body, String(ttl)])];
    return Number(await this.o.redis.eval(STORE, keys.length, ...keys, ...args));
  }

  /** Keys and bytes the cache holds (expired entries not yet evicted included). */
  async usage(): Promise<{ keys: number; bytes: number }> {
    const [keys, bytes] = await Promise.all([this.o.redis.zcard(this.keys[0]), this.o.redis.get(this.keys[2])]);
    return { keys, bytes: Number(bytes ?? 0) };
  }
}
