/**
 * Every record the service keeps in Redis is bounded: a run planned
 * RUNS_KEEP_DAYS + 1 days after others drops every key of theirs (daily, forced,
 * backfill chunk, inline, a claim left without its jobs), and every other key
 * of the recorded state is one per deployment or table, or expires.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import type { Clock } from '../../src/clock.js';
import { planBackfill } from '../../src/producer/backfill.js';
import { enqueueRun, runIdFor } from '../../src/producer/planner.js';
import { jobIds } from '../../src/queue/jobs.js';
import { runInline } from '../../src/tasks/run-inline.js';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import { apiGet } from '../support/api.js';
import { REDIS_URL, scanKeys } from '../support/redis.js';
import { startTestService, TEST_NOW, type TestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { waitForState } from '../support/wait.js';
import { parseIsoDate, type IsoDate } from '../../src/dates.js';

const DAY = 86_400_000;
const KEEP_DAYS = 3;
const started: TestService[] = [];
afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.stop();
});

/** A clock the test moves forward. */
function movableClock(start: string): Clock & { advance(ms: number): void } {
  let at = Date.parse(start);
  return { now: () => new Date(at), advance: (ms) => (at += ms) };
}

describe('recorded state is bounded', () => {
  test(`planning a run ${KEEP_DAYS + 1} days later drops every earlier run's keys; the rest is per deployment or expires`, async () => {
    const clock = movableClock(TEST_NOW);
    const s = await startTestService({ clock, sources: DEMO_SOURCES, env: { RUNS_KEEP_DAYS: String(KEEP_DAYS) } });
    started.push(s);
    const { flows, state, queues, config } = s.service.runtime;
    const plan = async (runId: string, date: IsoDate, extra: { from?: IsoDate } = {}): Promise<void> => {
      const planned = await enqueueRun(
        flows,
        state,
        config,
        { runId, date, tables: TABLE_NAMES, retention: extra.from === undefined, ...extra },
        clock.now(),
      );
      expect(planned.added).toBe(true);
      await waitForState(queues.validation, jobIds.validation(runId), ['completed', 'failed']);
    };
    // Every path that writes a run record: the daily run, a forced re-run, a backfill chunk, an inline run, a bare claim.
    await plan('2026-11-29', parseIsoDate('2026-11-29'));
    await plan(await runIdFor(state, config, parseIsoDate('2026-11-29'), TABLE_NAMES, true), parseIsoDate('2026-11-29'));
    const [chunk] = planBackfill(config, {
      from: parseIsoDate('2026-11-20'),
      to: parseIsoDate('2026-11-22'),
      tables: TABLE_NAMES,
      force: false,
    });
    await plan(chunk!.runId, chunk!.date, { from: chunk!.from });
    const ctx = { warehouse: s.service.runtime.warehouse, sql: s.service.runtime.sql, log: s.service.runtime.log };
    await runInline(
      ctx,
      config,
      { date: parseIsoDate('2026-11-28'), tables: TABLE_NAMES, tasks: ['refresh', 'retention', 'validation'] },
      { recorder: state, clock },
    );
    expect(await state.startRun('2026-11-27', parseIsoDate('2026-11-27'), { tracked: true, plannedAt: clock.now().getTime() })).toBe(true);
    expect((await apiGet(s, '/priorities')).status).toBe(200); // a cached answer and the API's own keys
    const old = ['2026-11-29', '2026-11-29#2', chunk!.runId, 'inline-2026-11-28', '2026-11-27'];
    expect([...(await state.history.ids())].sort()).toEqual([...old].sort());
    const admin = new Redis(REDIS_URL);
    try {
      const stateKeys = (): Promise<string[]> => scanKeys(admin, `${s.prefix}:state:*`);
      expect((await stateKeys()).filter((k) => k.includes(':runs:tasks:')).length).toBe(4); // the bare claim ran no task
      expect(await admin.zscore(`${s.prefix}:state:runs:active`, '2026-11-27')).not.toBeNull();

      expect(await admin.hlen(`${s.prefix}:state:runs:started`)).toBe(3); // the queued runs whose tasks a worker took (an inline run keeps its start in its record)
      clock.advance((KEEP_DAYS + 1) * DAY);
      await plan('2026-12-03', parseIsoDate('2026-12-03'));

      expect(await state.history.ids()).toEqual(['2026-12-03']);
      expect(Object.keys(await admin.hgetall(`${s.prefix}:state:runs`))).toEqual(['2026-12-03']);
      expect(await admin.zrange(`${s.prefix}:state:runs:active`, '0', '-1')).toEqual([]);
      // The start times go with their runs (the new run's tasks may have started meanwhile).
      expect(Object.keys(await admin.hgetall(`${s.prefix}:state:runs:started`)).filter((id) => id !== '2026-12-03')).toEqual([]);
      for (const id of old) expect(await state.history.tasks(id)).toEqual([]);
      const perDeployment = new Set([
        ...TABLE_NAMES.map((t) => `${s.prefix}:state:table:${t}`),
        ...[
          'validation',
          'generation',
          'generation:newest_date',
          'scheduler',
          'source_audit',
          'warehouse_ok_ts',
          'runs',
          'runs:index',
          'runs:active',
          'runs:started',
        ].map((k) => `${s.prefix}:state:${k}`),
        `${s.prefix}:api:cursor_secret`,
        ...['index', 'sizes', 'bytes'].map((k) => `${s.prefix}:api:v1:budget:${k}`),
      ]);
      const unbounded: string[] = [];
      for (const key of [
        ...(await stateKeys()),
        ...(await scanKeys(admin, `${s.prefix}:api:*`)),
        ...(await scanKeys(admin, `${s.prefix}:lock:*`)),
      ]) {
        if (perDeployment.has(key)) continue;
        if ((await admin.pttl(key)) === -1) unbounded.push(key); // -2: gone meanwhile (e.g. a released lock)
      }
      expect(unbounded).toEqual([]);
      // What is left of the earlier runs: only the forced re-run counter, which lives as long as BullMQ keeps their jobs.
      const left = (await stateKeys()).filter((k) => old.some((id) => k.includes(id.split('#')[0]!)) && !perDeployment.has(k));
      expect(left).toEqual([`${s.prefix}:state:runs:forced:2026-11-29`]);
      expect(await admin.ttl(left[0]!)).toBeLessThanOrEqual(Math.max(config.jobs.keepCompletedDays, config.jobs.keepFailedDays) * 86_400);
    } finally {
      admin.disconnect();
    }
  });
});
