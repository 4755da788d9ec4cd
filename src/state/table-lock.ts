/**
 * One task per table at a time, across every worker process: a Redis lock
 * with a short TTL, renewed while the task runs (a crashed worker frees it
 * within the TTL). Two refreshes of overlapping windows never race.
 *
 * The holder keeps a lease: the lock is surely its own until the last
 * renewal Redis confirmed plus the TTL. When Redis stops confirming (an
 * outage) and two thirds of that time have passed, or a renewal finds the
 * lock gone, `lost` is aborted: the task cancels its statement before
 * another worker can take the lock, so two writers never overlap.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { keyspace, type Keyspace } from '../queue/keyspace.js';
import { runScript } from '../queue/scripts.js';

/** Delete a lock key only while it still holds `token` (a lock that expired and passed to another holder is left alone). */
export async function releaseIfHeld(redis: Redis, key: string, token: string): Promise<boolean> {
  return (await runScript(redis, 'releaseLock', [key], [token])) === 1;
}

export interface HeldLock {
  readonly holder: string;
  /** Aborted (with a TableLockLostError) once the lock may no longer be this holder's. */
  readonly lost: AbortSignal;
  /** Throw the TableLockLostError when the lease is over or the lock was found gone. */
  assertHeld(): void;
  release(): Promise<void>;
}

/** The table lock may have passed to another worker: whatever the holder was writing must not commit. */
export class TableLockLostError extends Error {
  override name = 'TableLockLostError';
}

/**
 * A table lock lives twice a job's claim (JOB_LOCK_MS; 60 s by default), so a
 * crashed worker's table is free again soon after its task is found stalled.
 */
export function tableLockTtlMs(config: Pick<Config, 'jobs'>): number {
  return 2 * config.jobs.lockMs;
}

export class TableLocks {
  private readonly keys: Keyspace;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly ttlMs = 60_000,
  ) {
    this.keys = keyspace(prefix);
  }

  /** The lock's key; its value starts with the owner given to acquire (e.g. `refresh:<job id>`). */
  key(table: string): string {
    return this.keys.tableLock(table);
  }

  /** The lock, or undefined when another task holds it. */
  async acquire(table: string, owner: string): Promise<HeldLock | undefined> {
    const token = `${owner}:${randomUUID()}`;
    const ttl = this.ttlMs;
    const sentAt = performance.now();
    const ok = await this.redis.set(this.key(table), token, 'PX', ttl, 'NX');
    if (ok !== 'OK') return undefined;
    // Monotonic time: Redis cannot have expired the lock before `confirmedUntil`.
    let confirmedUntil = sentAt + ttl;
    const lost = new AbortController();
    const lose = (why: string): void => {
      clearInterval(renew);
      if (!lost.signal.aborted) lost.abort(new TableLockLostError(`the lock on ${table} ${why}`));
    };
    // Renewed every sixth of the TTL; given up at two thirds without a confirmation, a sixth before it can expire.
    const renew = setInterval(
      () => {
        const at = performance.now();
        if (at >= confirmedUntil - ttl / 3) {
          lose(
            `was not confirmed by Redis for ${Math.round((at - confirmedUntil + ttl) / 1000)} s (its TTL is ` +
              `${ttl / 1000} s): another worker may take it`,
          );
          return;
        }
        runScript(this.redis, 'extendLock', [this.key(table)], [token, String(ttl)]).then(
          (r) => {
            if (Number(r) === 1) confirmedUntil = Math.max(confirmedUntil, at + ttl);
            else lose('expired before it could be renewed');
          },
          () => undefined,
        );
      },
      Math.floor(ttl / 6),
    );
    renew.unref();
    return {
      holder: token,
      lost: lost.signal,
      assertHeld: () => {
        if (performance.now() >= confirmedUntil - ttl / 3) lose('lease ran out before the write committed');
        if (lost.signal.aborted) throw lost.signal.reason as Error;
      },
      release: async () => {
        clearInterval(renew);
        await releaseIfHeld(this.redis, this.key(table), token);
      },
    };
  }

  async holder(table: string): Promise<string | null> {
    return this.redis.get(this.key(table));
  }
}
