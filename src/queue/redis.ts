/** Redis connections: one factory, a clear message when Redis cannot be reached. */
import { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { UsageError } from '../errors.js';

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_m, auth: string) => `//${auth.includes(':') ? `${auth.split(':')[0]}:***` : '***'}@`);
}

/**
 * How a connection behaves while Redis is away: `queue` (BullMQ's blocking
 * commands need maxRetriesPerRequest: null; commands wait for the
 * reconnection) or `reads` (the read API: a command fails after one retry, so
 * an answer is served without Redis instead of waiting behind it).
 */
export type RedisProfile = 'queue' | 'reads';

/** The one factory of Redis connections. Its client name carries `name` (prefix and role), so a deployment's connections can be counted. */
export function createRedis(url: string, name: string, profile: RedisProfile = 'queue'): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: profile === 'queue' ? null : 1,
    enableReadyCheck: true,
    connectionName: `crm-materializer:${name}`,
    lazyConnect: true,
  });
}

export interface ConnectOptions {
  readonly timeoutMs?: number;
  readonly profile?: RedisProfile;
  /** The variable holding the URL, named in the error (default REDIS_URL). */
  readonly variable?: string;
  /** Who needs it, named in the error (e.g. 'the read API'). */
  readonly purpose?: string;
}

/** Connect, or fail in one line saying how to start Redis and which variable points at it. */
export async function connectRedis(url: string, name: string, opts: ConnectOptions = {}): Promise<Redis> {
  const { timeoutMs = 5000, variable = 'REDIS_URL' } = opts;
  const redis = createRedis(url, name, opts.profile);
  redis.on('error', () => undefined); // reported by the connect below, or later by the connection's owner
  try {
    await Promise.race([
      redis.connect(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    await redis.ping();
    return redis;
  } catch (e) {
    redis.disconnect();
    const why = e instanceof Error ? e.message : String(e);
    const where = opts.purpose
      ? `Redis at ${redactUrl(url)} (${variable}) is unreachable for ${opts.purpose}`
      : `Redis at ${redactUrl(url)} is unreachable`;
    throw new UsageError(`${where} (${why}): start it (e.g. redis-server --daemonize yes --port 6379) or set ${variable}`);
  }
}

/** Close a connection politely (QUIT), or drop it when Redis does not answer. */
export async function closeRedis(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}

/**
 * The read API's connections: `state` with the queues (never evicted), `cache` in CACHE_REDIS_URL's
 * Redis (the same connection unless set).
 */
export interface ReadConnections {
  readonly state: Redis;
  readonly cache: Redis;
  close(): Promise<void>;
}

/**
 * Open the read API's connections (fail fast while Redis is away), or fail in one line naming the
 * variable of the one that is unreachable.
 */
export async function connectReads(
  config: Pick<Config, 'redisUrl' | 'queuePrefix'> & { api: Pick<Config['api'], 'cacheRedisUrl'> },
): Promise<ReadConnections> {
  const opts = { profile: 'reads', purpose: 'the read API' } as const;
  const state = await connectRedis(config.redisUrl, `${config.queuePrefix}:api`, opts);
  const separate = config.api.cacheRedisUrl !== config.redisUrl;
  let cache = state;
  try {
    if (separate)
      cache = await connectRedis(config.api.cacheRedisUrl, `${config.queuePrefix}:api-cache`, { ...opts, variable: 'CACHE_REDIS_URL' });
  } catch (e) {
    state.disconnect();
    throw e;
  }
  const close = async (): Promise<void> => {
    if (cache !== state) await closeRedis(cache);
    await closeRedis(state);
  };
  return { state, cache, close };
}
