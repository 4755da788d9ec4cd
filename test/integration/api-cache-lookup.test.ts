/**
 * The read cache's hit path against real Redis, counted with MONITOR: with
 * the generations in the cache's own Redis a hit is one command (the
 * lookup-answer script), with the cache in a Redis of its own two (the
 * generations, then the answer); either way a generation bump sends the
 * next read to the warehouse. With the first tier (the process's memory), a
 * repeated hit sends nothing, as long as the bumps are heard.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, test } from 'vitest';
import { ReadCache } from '../../src/api/cache.js';
import { keyspace } from '../../src/queue/keyspace.js';
import { followBumps, LocalAnswers } from '../../src/api/local-answers.js';
import { closeRedis, connectRedis, createRedis } from '../../src/queue/redis.js';
import { StateStore } from '../../src/state/store.js';
import { captureLog } from '../support/log-capture.js';
import { cleanupPrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const prefix = uniquePrefix();
const opened: Redis[] = [];
afterEach(async () => {
  for (const r of opened.splice(0)) r.disconnect();
  await cleanupPrefix(prefix);
});

/** The commands Redis received from clients (not those a script ran) that name this test's prefix, between two markers. */
async function commandsOf(redis: Redis, action: () => Promise<unknown>): Promise<string[][]> {
  const monitor = await new Redis(REDIS_URL).monitor();
  opened.push(monitor);
  const seen: string[][] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source !== 'lua' && args.some((a) => a.includes(prefix))) seen.push(args);
  });
  const marker = async (name: string): Promise<void> => {
    await redis.echo(`${prefix}:${name}`);
    await waitFor(`MONITOR to see ${name}`, () => Promise.resolve(seen.some((a) => a[1] === `${prefix}:${name}`)));
  };
  await marker('start');
  await action();
  await marker('end');
  const start = seen.findIndex((a) => a[1] === `${prefix}:start`);
  const end = seen.findIndex((a) => a[1] === `${prefix}:end`);
  return seen.slice(start + 1, end);
}

describe.each([
  ['generations in the cache Redis', true, ['evalsha']],
  ['cache in a Redis of its own', false, ['hmget', 'get']],
])('read cache hit path: %s', (_name, sameRedis, hitCommands) => {
  test(`a hit is ${hitCommands.join(' + ')}; a bumped generation is a miss`, async () => {
    const redis = await connectRedis(REDIS_URL, `${prefix}:test`, { profile: 'reads' });
    try {
      const state = new StateStore(redis, prefix);
      const { log } = captureLog();
      const cache = new ReadCache({
        redis,
        state,
        ...(sameRedis ? { generationsKey: keyspace(prefix).generations } : {}),
        prefix,
        ttlSeconds: 60,
        log,
        maxBytes: 1_000_000,
        maxEntryBytes: 100_000,
      });
      let loads = 0;
      const load = (): Promise<string> => Promise.resolve(JSON.stringify({ answer: ++loads }));
      const get = () => cache.get('metrics', ['crm_metrics_daily'], { from: '2026-11-01' }, load);

      expect(await get()).toMatchObject({ result: 'miss' });
      const hit = await commandsOf(redis, async () => expect(await get()).toMatchObject({ result: 'hit' }));
      expect(hit.map((args) => args[0]?.toLowerCase())).toEqual(hitCommands);
      expect(JSON.parse((await get()).body.toString())).toEqual({ answer: 1 });

      await state.bumpGeneration('crm_metrics_daily', '2026-11-29');
      expect(await get()).toMatchObject({ result: 'miss' });
      expect(JSON.parse((await get()).body.toString())).toEqual({ answer: 2 });
      // Another table's bump leaves this answer's key alone.
      await state.bumpGeneration('crm_actions_open_snapshot', '2026-11-29');
      expect(await get()).toMatchObject({ result: 'hit' });
      expect(loads).toBe(2);
    } finally {
      await closeRedis(redis);
    }
  });
});

describe('read cache: the first tier, in the process memory', () => {
  test('a repeated hit asks Redis nothing; a bump heard, or the subscriber gone, sends the next read to Redis', async () => {
    const redis = await connectRedis(REDIS_URL, `${prefix}:test`, { profile: 'reads' });
    const subscriber = createRedis(REDIS_URL, `${prefix}:events`);
    try {
      const state = new StateStore(redis, prefix);
      const local = new LocalAnswers(1_000_000);
      await followBumps(subscriber, state.generationChannel, local);
      const { log } = captureLog();
      const cache = new ReadCache({
        redis,
        state,
        generationsKey: keyspace(prefix).generations,
        prefix,
        ttlSeconds: 60,
        log,
        maxBytes: 1_000_000,
        maxEntryBytes: 100_000,
        local,
      });
      let loads = 0;
      const load = (): Promise<string> => Promise.resolve(JSON.stringify({ answer: ++loads }));
      const get = () => cache.get('metrics', ['crm_metrics_daily'], { from: '2026-11-01' }, load);
      const names = (commands: string[][]) => commands.map((args) => args[0]?.toLowerCase());

      expect(await get()).toMatchObject({ result: 'miss' });
      const hits = await commandsOf(redis, async () => {
        for (let i = 0; i < 3; i++) expect(await get()).toMatchObject({ result: 'hit' });
      });
      expect(names(hits)).toEqual([]);
      expect(JSON.parse((await get()).body.toString())).toEqual({ answer: 1 });

      // A bump is heard: the answer's key moves, the next read misses and loads the new data.
      const bumped = await state.bumpGeneration('crm_metrics_daily', '2026-11-29');
      await waitFor('the bump to be heard', () => Promise.resolve(local.current(['crm_metrics_daily']) === String(bumped)));
      expect(await get()).toMatchObject({ result: 'miss' });
      expect(JSON.parse((await get()).body.toString())).toEqual({ answer: 2 });

      // Without the subscription nothing is trusted: every read asks Redis (one round trip, as without the tier).
      subscriber.disconnect();
      await waitFor('the subscriber to be gone', () => Promise.resolve(local.current(['crm_metrics_daily']) === undefined));
      const unsubscribed = await commandsOf(redis, async () => expect(await get()).toMatchObject({ result: 'hit' }));
      expect(names(unsubscribed)).toEqual(['evalsha']);
      expect(loads).toBe(2);
    } finally {
      subscriber.disconnect();
      await closeRedis(redis);
    }
  });
});
