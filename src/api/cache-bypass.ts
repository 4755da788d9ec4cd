/**
 * Degrade, don't fail: while the cache's Redis cannot answer, the read API
 * answers straight from the warehouse (X-Cache: bypass), at most
 * API_UNCACHED_CONCURRENCY reads at once per web process (past it: 503 with
 * Retry-After), so a Redis outage does not send the whole dashboard load to
 * the warehouse. One log line when the outage is first noticed, one when
 * Redis answers again; cached answers resume by themselves (ioredis
 * reconnects).
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { ApiMetrics } from '../metrics/api-metrics.js';
import { ApiUnavailableError } from './problem.js';

/** Retry-After (seconds) of a read refused because the uncached reads are all busy. */
export const OVERLOADED_RETRY_AFTER_SECONDS = 1;

export interface BypassOptions {
  readonly redis: Redis;
  readonly log: Logger;
  readonly metrics?: ApiMetrics;
  /** API_UNCACHED_CONCURRENCY. */
  readonly maxConcurrent: number;
}

export class CacheBypass {
  private down = false;
  private active = 0;

  constructor(private readonly o: BypassOptions) {}

  /** False while the connection is not ready: no command is sent (it would wait for a reconnection first). */
  get redisReady(): boolean {
    return this.o.redis.status === 'ready';
  }

  /** Redis failed (or is not connected): logged once per outage. */
  failed(err?: unknown): void {
    if (this.down) return;
    this.down = true;
    const reason = err instanceof Error ? err.message : `connection ${this.o.redis.status}`;
    this.o.log.warn(
      { reason, maxConcurrent: this.o.maxConcurrent },
      'read API: Redis is unreachable: answering from the warehouse uncached (X-Cache: bypass, at most ' +
        'API_UNCACHED_CONCURRENCY at once) until it is back',
    );
  }

  /** Redis answered: the end of an outage is logged once. */
  answered(): void {
    if (!this.down) return;
    this.down = false;
    this.o.log.info('read API: Redis answers again: cached answers resume');
  }

  /** `load` straight from the warehouse, within the concurrency cap. */
  async load<T>(load: () => Promise<T>): Promise<T> {
    if (this.active >= this.o.maxConcurrent) {
      throw new ApiUnavailableError(
        `the cache is unreachable and ${this.o.maxConcurrent} uncached reads are already running ` +
          `(API_UNCACHED_CONCURRENCY): retry after ${OVERLOADED_RETRY_AFTER_SECONDS} s`,
        { retryAfterSeconds: OVERLOADED_RETRY_AFTER_SECONDS },
      );
    }
    this.active++;
    this.o.metrics?.cacheBypass();
    try {
      return await load();
    } finally {
      this.active--;
    }
  }
}
