/**
 * The pure parts of the Redis outage handling, with fakes: which errors are
 * the connection's, one log line per change of state, and the table lock's
 * lease. The same behaviour through a real frozen Redis: test/faults/redis-outage.test.ts.
 */
import type { Redis } from 'ioredis';
import { describe, expect, test } from 'vitest';
import { isConnectionError, RedisHealth } from '../../src/queue/redis-health.js';
import { TableLockLostError, TableLocks } from '../../src/state/table-lock.js';
import { captureLog } from '../support/log-capture.js';
import { waitFor } from '../support/wait.js';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('connection errors', () => {
  test('refused, reset and closed connections are the connection; a command error or a lost claim is not', () => {
    expect(isConnectionError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('read'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(isConnectionError(new Error('Missing lock for job refresh__x. moveToFinished'))).toBe(false);
    expect(isConnectionError(new Error('ERR unknown command'))).toBe(false);
    expect(isConnectionError('ECONNREFUSED')).toBe(false);
  });

  test('an outage reported by many errors is one line; other errors keep their line', async () => {
    const { lines, log } = captureLog();
    const health = new RedisHealth({} as Redis, 'redis://user:hunter2@redis.internal:6379', log);
    const onError = health.onError({ queue: 'refresh' }, 'worker error');
    for (let i = 0; i < 50; i++) onError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6379'), { code: 'ECONNREFUSED' }));
    onError(new Error('could not renew lock for job refresh__crm_metrics_daily__2026-11-29'));
    onError(new Error('something else'));
    await flush();
    expect(health.up).toBe(false);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'Redis connection lost'],
      [40, "a task's claim expired while Redis did not answer: it goes back to the queue (a table is still written once per run)"],
      [50, 'worker error'],
    ]);
    expect(lines[0]).toMatchObject({ redis: 'redis://user:***@redis.internal:6379', reason: 'connect ECONNREFUSED 10.0.0.1:6379' });
    expect(JSON.stringify(lines)).not.toContain('hunter2');
    expect(lines[1]).not.toHaveProperty('err');
  });
});

/** A Redis whose SET succeeds and whose renewals (the extendLock script) get `renewal` (never settled: Redis does not answer). */
function fakeRedis(renewal: () => Promise<unknown>): Redis {
  return { set: () => Promise.resolve('OK'), defineCommand: () => undefined, crmExtendLock: renewal } as unknown as Redis;
}

describe('the table lock lease', () => {
  test('renewals that get no answer end the lease: `lost` aborts and assertHeld throws', async () => {
    const locks = new TableLocks(
      fakeRedis(() => new Promise(() => undefined)),
      'p',
      1200,
    );
    const lock = (await locks.acquire('crm_metrics_daily', 'refresh:job'))!;
    await waitFor('the lease to run out', () => Promise.resolve(lock.lost.aborted));
    expect(lock.lost.reason).toBeInstanceOf(TableLockLostError);
    expect(() => lock.assertHeld()).toThrow(/the lock on crm_metrics_daily was not confirmed by Redis/);
  });

  test('a renewal that finds the lock gone ends it at once', async () => {
    const locks = new TableLocks(
      fakeRedis(() => Promise.resolve(0)),
      'p',
      1200,
    );
    const lock = (await locks.acquire('crm_metrics_daily', 'refresh:job'))!;
    expect(() => lock.assertHeld()).not.toThrow();
    await waitFor('the first renewal', () => Promise.resolve(lock.lost.aborted));
    expect(() => lock.assertHeld()).toThrow(/expired before it could be renewed/);
  });
});
