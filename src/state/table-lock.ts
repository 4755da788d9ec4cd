/**
 * One task per table at a time, across every worker process: a Redis lock
 * with a short TTL, renewed while the task runs (a crashed worker frees it
 * within the TTL). Two refreshes of overlapping windows never race.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export interface HeldLock {
  readonly holder: string;
  release(): Promise<void>;
}

/** The lock's key; its value starts with the owner given to acquire (e.g. `refresh:<job id>`). */
export function tableLockKey(prefix: string, table: string): string {
  return `${prefix}:lock:table:${table}`;
}

/**
 * A table lock lives twice a job's claim (JOB_LOCK_MS; 60 s by default), so a
 * crashed worker's table is free again soon after its task is found stalled.
 */
export function tableLockTtlMs(config: Pick<Config, 'jobs'>): number {
  return 2 * config.jobs.lockMs;
}

export class TableLocks {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs = 60_000,
  ) {}

  key(table: string): string {
    return tableLockKey(this.prefix, table);
  }

  /** The lock, or undefined when another task holds it. */
  async acquire(table: string, owner: string): Promise<HeldLock | undefined> {
    const token = `${owner}:${randomUUID()}`;
    const ok = await this.redis.set(this.key(table), token, 'PX', this.ttlMs, 'NX');
    if (ok !== 'OK') return undefined;
    const renew = setInterval(() => {
      this.redis.eval(EXTEND, 1, this.key(table), token, String(this.ttlMs)).catch(() => undefined);
    }, Math.floor(this.ttlMs / 3));
    renew.unref();
    return {
      holder: token,
      release: async () => {
        clearInterval(renew);
        await this.redis.eval(RELEASE, 1, this.key(table), token);
      },
    };
  }

  async holder(table: string): Promise<string | null> {
    return this.redis.get(this.key(table));
  }
}
