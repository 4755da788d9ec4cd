/**
 * A future reference date changes nothing: refused by the CLI (inline, queued,
 * backfill) with exit 2 and one line, refused without retry when a job is
 * added on the board, and retention deletes nothing for it even when allowed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import { runCli } from '../support/cli.js';
import { createFixture, type Fixture } from '../support/duckdb-fixture.js';
import { cleanupPrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { QUICK_ENV, startTestService } from '../support/service.js';
import { waitForState } from '../support/wait.js';

const D = '2026-11-29';
const FUTURE = '2099-01-01';
const S = 'hs_franquia.gold_connect_bot';

describe('a future reference date, through the CLI', () => {
  let f: Fixture;
  let env: Record<string, string>;
  const prefix = uniquePrefix();
  const dump = async () => Promise.all(TABLE_NAMES.map((t) => f.rows(`SELECT * FROM ${S}.${t} ORDER BY ALL`)));

  beforeAll(async () => {
    f = await createFixture();
    await f.setSources(DEMO_SOURCES);
    await f.warehouse.close();
    env = { DUCKDB_PATH: f.path, REDIS_URL, QUEUE_PREFIX: prefix };
    const seeded = await runCli(['run', '--inline', '--date', D], env);
    expect(seeded.code).toBe(0);
  });
  /** Every key under the prefix with its value (hashes as objects). */
  const redisState = async (redis: Redis): Promise<Record<string, unknown>> => {
    const out: Record<string, unknown> = {};
    for (const key of (await redis.keys(`${prefix}*`)).sort()) {
      const type = await redis.type(key);
      out[key] = type === 'hash' ? await redis.hgetall(key) : type === 'string' ? await redis.get(key) : type;
    }
    return out;
  };
  afterAll(async () => {
    await f.cleanup();
    await cleanupPrefix(prefix);
  });

  test.each([
    [
      'run --inline retention',
      ['run', '--inline', '--date', FUTURE, '--tasks', 'retention'],
      /^error: --date 2099-01-01 is in the future \(today is \d{4}-\d{2}-\d{2} in America\/Sao_Paulo; at most \d{4}-\d{2}-\d{2} is accepted\): use a date up to today, or add --allow-future/,
    ],
    ['queued run', ['run', '--date', FUTURE], /^error: --date 2099-01-01 is in the future/],
    ['backfill', ['backfill', '--from', D, '--to', FUTURE], /^error: --to 2099-01-01 is in the future/],
  ])('%s: one line on stderr, exit 2, no table and no queue changed', async (_name, args, message) => {
    const before = await dump();
    const redis = new Redis(REDIS_URL);
    try {
      const keysBefore = await redisState(redis);
      const r = await runCli(args, env);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(await dump()).toEqual(before);
      // Nothing queued, nothing recorded (the seeding run's records stay as they were).
      expect(await redisState(redis)).toEqual(keysBefore);
    } finally {
      redis.disconnect();
    }
  });

  test('run --inline --allow-future: retention deletes nothing for the future date', async () => {
    const before = await dump();
    const r = await runCli(['run', '--inline', '--date', FUTURE, '--tasks', 'retention', '--allow-future'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/retention\s+crm_metrics_daily\s+ok\s+0/);
    expect(await dump()).toEqual(before);
  });
});

describe('a future reference date, added on the board', () => {
  test('fails once, unretried, with one line naming the fix; with allowFuture its retention deletes nothing', async () => {
    const svc = await startTestService({ sources: DEMO_SOURCES, env: { JOB_ATTEMPTS: '3' } });
    try {
      const { queues } = svc.service.runtime;
      await queues.refresh.add('refresh', { runId: D, date: D, table: 'crm_actions_open_snapshot' }, { jobId: 'seed' });
      await waitForState(queues.refresh, 'seed', ['completed']);
      const count = `SELECT COUNT(*) AS n FROM ${S}.crm_actions_open_snapshot`;
      const before = await svc.rows(count);
      expect(before).toEqual([{ n: 2 }]);

      const res = await fetch(`http://127.0.0.1:${svc.service.port}/admin/queues/api/queues/retention/add`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${QUICK_ENV.BOARD_USER}:${QUICK_ENV.BOARD_PASSWORD}`).toString('base64')}`,
          'content-type': 'application/json',
          origin: `http://127.0.0.1:${svc.service.port}`,
        },
        body: JSON.stringify({
          name: 'retention',
          data: { runId: 'by-hand', date: FUTURE, table: 'crm_actions_open_snapshot' },
          options: { jobId: 'by-hand' },
        }),
      });
      expect(res.status).toBe(200);
      const refused = await waitForState(queues.retention, 'by-hand', ['failed']);
      expect(refused.attemptsMade).toBe(1);
      expect(refused.failedReason).toMatch(
        /^invalid retention payload: date 2099-01-01 is in the future \(today is .*\): use a date up to today, or add "allowFuture": true if a future date is intended$/,
      );
      expect(await svc.rows(count)).toEqual(before);

      await queues.retention.add(
        'retention',
        { runId: 'allowed', date: FUTURE, table: 'crm_actions_open_snapshot', allowFuture: true },
        { jobId: 'allowed' },
      );
      const allowed = await waitForState(queues.retention, 'allowed', ['completed']);
      expect(allowed.returnvalue).toMatchObject({ rowsDeleted: 0 });
      expect(await svc.rows(count)).toEqual(before);
    } finally {
      await svc.stop();
    }
  });
});
