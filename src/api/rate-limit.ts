/**
 * A per-client rate limit for the read API: a token bucket in the cache's
 * Redis (CACHE_REDIS_URL; shared by every web pod), per API key, JWT subject, or address when auth is off.
 * A client may burst up to API_RATE_LIMIT_BURST requests, refilled at
 * API_RATE_LIMIT_PER_MINUTE; past it: 429 with Retry-After. When Redis cannot
 * answer the request goes through (fail open): the cache cannot answer either,
 * and the uncached reads are capped by API_UNCACHED_CONCURRENCY instead.
 */
import type { RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { keyspace } from '../queue/keyspace.js';
import { runScript } from '../queue/scripts.js';
import { sendProblem } from './problem.js';

export interface RateLimitOptions {
  readonly redis: Redis;
  readonly prefix: string;
  /** Sustained requests a minute per client; 0 = no limit. */
  readonly perMinute: number;
  readonly burst: number;
  readonly log: Logger;
  readonly now?: () => number;
}

export function rateLimit(o: RateLimitOptions): RequestHandler {
  if (o.perMinute === 0) return (_req, _res, next) => next();
  const now = o.now ?? Date.now;
  const keys = keyspace(o.prefix);
  return async (_req, res, next) => {
    const client = typeof res.locals.client === 'string' ? res.locals.client : 'unknown';
    // Redis not connected: not limited (fail open); the uncached reads have their own cap (cache-bypass.ts).
    if (o.redis.status !== 'ready') return next();
    let verdict: [number, number];
    try {
      verdict = (await runScript(o.redis, 'takeToken', [keys.rateLimit(client)], [o.perMinute, o.burst, now()])) as [number, number];
    } catch (err) {
      o.log.debug({ err }, 'read API: rate limit not checked (Redis did not answer)');
      return next();
    }
    const [allowed, waitMs] = verdict;
    if (allowed === 1) return next();
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    sendProblem(
      res,
      429,
      `rate limit exceeded: at most ${o.perMinute} requests a minute per client (bursts of ${o.burst}); retry after ${seconds} s`,
      {
        retryAfterSeconds: seconds,
      },
    );
  };
}
