/** Redis connections: one factory, a clear message when Redis cannot be reached. */
import { Redis } from 'ioredis';
import { UsageError } from '../errors.js';

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_m, auth: string) => `//${auth.includes(':') ? `${auth.split(':')[0]}:***` : '***'}@`);
}

/**
 * A connection for BullMQ (blocking commands need maxRetriesPerRequest: null).
 * Its client name carries `name` (prefix and role), so a deployment's connections can be counted.
 */
export function createRedis(url: string, name: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, connectionName: `crm-materializer:${name}`, lazyConnect: true });
}

/** Connect, or fail in one line saying how to start Redis. */
export async function connectRedis(url: string, name: string, timeoutMs = 5000): Promise<Redis> {
  const redis = createRedis(url, name);
  redis.on('error', () => undefined); // reported by the connect below, or by BullMQ later
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
    throw new UsageError(
      `Redis at ${redactUrl(url)} is unreachable (${why}): start it (e.g. redis-server --daemonize yes --port 6379) or set REDIS_URL`,
    );
  }
}
