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
import { sendProblem } from './problem.js';

/** Refill, take one token if there is one; returns {1, 0} or {0, ms until a token}. The bucket expires once full again. */
const TAKE = `local rate = tonumber(ARGV[1]) / 60000
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 1000)
return {allowed, wait}`;

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
  return async (_req, res, next) => {
    const client = typeof res.locals.client === 'string' ? res.locals.client : 'unknown';
    // Redis not connected: not limited (fail open); the uncached reads have their own cap (cache-bypass.ts).
    if (o.redis.status !== 'ready') return next();
    let verdict: [number, number];
    try {
      verdict = (await o.redis.eval(TAKE, 1, `${o.prefix}:api:ratelimit:${client}`, o.perMinute, o.burst, now())) as [number, number];
    } catch (err) {
      o.log.debug({ err }, 'read API: rate limit not checked (Redis did not answer)');
      return next();
    }
    const [allowed, waitMs] = verdict;
    if (allowed === 1) return next();
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    sendProblem(res, 429, `rate limit exceeded: at most ${o.perMinute} requests a minute per client (bursts of ${o.burst}); retry after ${seconds} s`, {
      retryAfterSeconds: seconds,
    });
  };
}
