/**
 * Answers read from the state the workers record in Redis (freshness): with
 * Redis unreachable there is nothing else to read them from, so 503 with
 * Retry-After at once rather than a wait for a reconnection and a 500.
 */
import type { CacheBypass } from './cache-bypass.js';
import { ApiUnavailableError } from './problem.js';

const RETRY_AFTER_SECONDS = 5;

export async function recordedState<T>(bypass: CacheBypass, read: () => Promise<T>): Promise<T> {
  const unavailable = (cause?: unknown): ApiUnavailableError =>
    new ApiUnavailableError('the recorded state is in Redis, which is unreachable: try again shortly', {
      cause,
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
  if (!bypass.redisReady) throw unavailable();
  try {
    return await read();
  } catch (e) {
    throw unavailable(e);
  }
}
