/** Run records are bounded: planning a run drops those planned more than RUNS_KEEP_DAYS before it, with their tasks. */
import { afterEach, describe, expect, test } from 'vitest';
import { connectRedis } from '../../src/queue/redis.js';
import { StateStore } from '../../src/state/store.js';
import { cleanupPrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { parseIsoDate } from '../../src/dates.js';

const prefix = uniquePrefix();
afterEach(() => cleanupPrefix(prefix));
const DAY = 86_400_000;
const T0 = Date.parse('2026-08-01T09:00:00Z');

describe('run history retention', () => {
  test('runs older than the kept period leave the index, the runs hash and their task lists; newer ones stay', async () => {
    const redis = await connectRedis(REDIS_URL, `${prefix}:test`);
    try {
      const state = new StateStore(redis, prefix, 2);
      await state.startRun('2026-08-01', parseIsoDate('2026-08-01'), { tracked: false, plannedAt: T0 });
      await state.recordTask('crm_metrics_daily', 'refresh', {
        date: parseIsoDate('2026-08-01'),
        runId: '2026-08-01',
        outcome: 'success',
        seconds: 1,
        rowsWritten: 3,
        finishedAt: T0 + 1000,
      });
      // A worker's first task sets the run's start; later tasks keep it.
      await state.runStarted('2026-08-01', T0 + 200);
      await state.runStarted('2026-08-01', T0 + 900);
      expect(await state.run('2026-08-01')).toMatchObject({ plannedAt: T0, startedAt: T0 + 200 });
      await state.startRun('2026-08-02', parseIsoDate('2026-08-02'), { tracked: false, plannedAt: T0 + DAY });
      expect((await state.run('2026-08-02'))?.startedAt).toBeUndefined();
      expect(await state.history.ids()).toEqual(['2026-08-02', '2026-08-01']);
      expect(await state.history.tasks('2026-08-01')).toMatchObject([{ task: 'refresh', table: 'crm_metrics_daily', rowsWritten: 3 }]);
      // Two days and a bit after the first: it goes, the second stays.
      await state.startRun('2026-08-03', parseIsoDate('2026-08-03'), { tracked: false, plannedAt: T0 + 2 * DAY + 1 });
      expect(await state.history.ids()).toEqual(['2026-08-03', '2026-08-02']);
      expect(await state.run('2026-08-01')).toBeUndefined();
      expect(await state.history.tasks('2026-08-01')).toEqual([]);
      expect(await state.run('2026-08-02')).toMatchObject({ date: '2026-08-02' });
      expect(await redis.ttl(`${prefix}:state:runs:tasks:2026-08-01`)).toBe(-2);
      expect(await redis.hexists(`${prefix}:state:runs:started`, '2026-08-01')).toBe(0);
    } finally {
      await redis.quit();
    }
  });
});
