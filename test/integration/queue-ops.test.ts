/** Operating the queued service: board auth and retry, shutdown, schedule, catch-up, backfill, table locks. */
import { afterEach, describe, expect, test } from 'vitest';
import { createLogger } from '../../src/log.js';
import { planBackfill, enqueueBackfill } from '../../src/producer/backfill.js';
import { catchUp, planDailyRun, upsertSchedule, SCHEDULER_ID } from '../../src/producer/scheduler.js';
import { createQueues, closeQueues } from '../../src/queue/queues.js';
import { connectRedis } from '../../src/queue/redis.js';
import { StateStore } from '../../src/state/store.js';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import { fixedClock } from '../../src/clock.js';
import { startTestService, TEST_NOW, type TestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { waitFor, waitForState } from '../support/wait.js';
import { makeActionsSlow } from '../support/faults.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
const S = 'hs_franquia.gold_connect_bot';
const silent = createLogger('silent');
let svc: TestService | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const url = (s: TestService, path: string): string => `http://127.0.0.1:${s.service.port}${path}`;
const deps = (s: TestService, at = TEST_NOW) => ({ ...s.service.runtime, log: silent, clock: fixedClock(at) });

describe('Bull Board', () => {
  test('401 without credentials, 200 with basic or bearer', async () => {
    svc = await startTestService({ sources: DEMO_SOURCES, env: { BOARD_TOKEN: 'board-token' } });
    expect((await fetch(url(svc, '/admin/queues'))).status).toBe(401);
    expect((await fetch(url(svc, '/admin/queues'), { headers: { authorization: basic('ops', 'wrong') } })).status).toBe(401);
    expect((await fetch(url(svc, '/admin/queues'), { headers: { authorization: basic('ops', 'secret-pass') } })).status).toBe(200);
    const api = await fetch(url(svc, '/admin/queues/api/queues?activeQueue=refresh&page=1&jobsPerPage=10'), {
      headers: { authorization: 'Bearer board-token' },
    });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual(['refresh', 'retention', 'schedule', 'source-audit', 'validation']);
  });

  test('a failed task retried through the board API reruns, and the run is validated again', async () => {
    const sources = { ...DEMO_SOURCES, actions: [] };
    svc = await startTestService({ sources });
    const { runtime } = svc.service;
    await runtime.warehouse.execute({ sql: `DROP TABLE ${S}.vw_crm_action` });
    await planDailyRun(deps(svc), D);
    const failedRun = await waitForState(runtime.queues.validation, `validation__${D}`, ['failed']);
    expect(failedRun.failedReason).toMatch(/refresh__crm_action_priorities_daily__2026-11-29 failed \(source view vw_crm_action not found/);
    expect(await (await runtime.queues.retention.getJob(`retention__crm_actions_open_snapshot__${D}`))?.getState()).toBe('completed');
    // The view is back; an operator retries the two failed refreshes from the board.
    await runtime.warehouse.execute({
      sql: `CREATE TABLE ${S}.vw_crm_action AS SELECT * FROM (VALUES ('A1', 'O1', 'L1', 'V1', 'ana', 'x', 'ABERTA', DATE '2026-11-20', TIMESTAMP '2026-09-01', CAST(NULL AS TIMESTAMP))) t(ACTION_ID, ORGANIZATION_ID, LOCATION_ID, VERIFICATION_ID, RESPONSIBLE, ACTION_TYPE, STATUS, DUE_DATE, CREATED_AT, CLOSED_AT)`,
    });
    for (const t of ['crm_action_priorities_daily', 'crm_actions_open_snapshot']) {
      const res = await fetch(url(svc, `/admin/queues/api/queues/refresh/refresh__${t}__${D}/retry`), {
        method: 'PUT',
        headers: { authorization: basic('ops', 'secret-pass'), origin: url(svc, '') },
      });
      expect(res.status).toBe(204);
    }
    await waitForState(runtime.queues.validation, `validation__${D}`, ['completed']);
    expect(await runtime.state.run(D)).toMatchObject({ outcome: 'success' });
    expect(await svc.rows(`SELECT action_id FROM ${S}.crm_actions_open_snapshot`)).toEqual([{ action_id: 'A1' }]);
  });

  test('read-only mode refuses retry with 405', async () => {
    svc = await startTestService({ sources: DEMO_SOURCES, env: { BOARD_READ_ONLY: 'true' } });
    await svc.service.runtime.queues.refresh.add('refresh', { runId: 'x', date: 'bad', table: 'crm_metrics_daily' }, { jobId: 'bad-one' });
    await waitForState(svc.service.runtime.queues.refresh, 'bad-one', ['failed']);
    const res = await fetch(url(svc, '/admin/queues/api/queues/refresh/bad-one/retry'), {
      method: 'PUT',
      headers: { authorization: basic('ops', 'secret-pass'), origin: url(svc, '') },
    });
    expect(res.status).toBe(405);
  });
});

describe('scheduling', () => {
  test('the scheduler upsert is idempotent across restarts: one scheduler, one delayed job', async () => {
    svc = await startTestService({ sources: DEMO_SOURCES, roles: ['scheduler'] });
    for (let restart = 0; restart < 2; restart++) {
      const redis = await connectRedis(svc.config.redisUrl, `${svc.prefix}:restart`);
      const queues = createQueues(svc.config, redis);
      await upsertSchedule(queues, svc.config, new StateStore(redis, svc.config.queuePrefix), silent, fixedClock(TEST_NOW));
      await closeQueues(queues);
      await redis.quit();
    }
    const { schedule } = svc.service.runtime.queues;
    expect(await schedule.getJobSchedulers()).toHaveLength(1);
    expect((await schedule.getJobScheduler(SCHEDULER_ID))?.pattern).toBe('0 6 * * *');
    expect(await schedule.getDelayedCount()).toBe(1);
  });

  test("catch-up plans today's run when its tick passed unplanned, and only then", async () => {
    svc = await startTestService({ sources: DEMO_SOURCES, roles: ['scheduler'] });
    // A past day (the service's own start-up catch-up plans the real today, which must not be this one).
    const day = '2026-03-10';
    // 05:00 in São Paulo: today's 06:00 tick is still ahead.
    expect(await catchUp(deps(svc, `${day}T08:00:00Z`))).toBeUndefined();
    // 07:00 in São Paulo: the tick passed and nothing was planned.
    expect(await catchUp(deps(svc, `${day}T10:00:00Z`))).toMatchObject({ runId: day, added: true });
    expect(await catchUp(deps(svc, `${day}T11:00:00Z`))).toBeUndefined();
    expect(await svc.service.runtime.queues.validation.getJob(`validation__${day}`)).toBeDefined();
  });
});

describe('backfill and locks', () => {
  test('a 60-day backfill: two chunks, one atomic replace per chunk for metrics, one per day for snapshots', async () => {
    svc = await startTestService({ sources: DEMO_SOURCES });
    const plans = planBackfill(svc.config, {
      from: parseIsoDate('2026-09-01'),
      to: parseIsoDate('2026-10-30'),
      tables: TABLE_NAMES,
      force: false,
    });
    expect(plans.map((p) => [p.runId, p.from, p.date])).toEqual([
      ['bf_2026-09-01_2026-10-01', '2026-09-01', '2026-10-01'],
      ['bf_2026-10-02_2026-10-30', '2026-10-02', '2026-10-30'],
    ]);
    const { runtime } = svc.service;
    const progress: number[] = [];
    await enqueueBackfill(runtime.flows, runtime.state, svc.config, plans, (done) => progress.push(done));
    expect(progress).toEqual([1, 2]);
    // A backfill is not a daily run: it does not count as a run in progress (no slow-run alert).
    expect(await runtime.state.oldestActiveRun()).toBeUndefined();
    for (const p of plans) await waitForState(runtime.queues.validation, `validation__${p.runId}`, ['completed'], 60_000);
    const metricsJob = await runtime.queues.refresh.getJob('refresh__crm_metrics_daily__bf_2026-09-01_2026-10-01');
    expect(metricsJob?.data).toMatchObject({ from: '2026-09-01', date: '2026-10-01' });
    expect(await runtime.queues.refresh.getCompletedCount()).toBe(2 + 60 * 2);
    expect(await svc.rows(`SELECT COUNT(DISTINCT data_snapshot) AS days FROM ${S}.crm_actions_open_snapshot`)).toEqual([{ days: 60 }]);
    expect(await svc.rows(`SELECT data_referencia FROM ${S}.crm_metrics_daily`)).toEqual([{ data_referencia: '2026-10-15' }]);
  });

  test('two tasks on the same table never run at once: the second waits for the lock, using no attempt', async () => {
    svc = await startTestService({ sources: DEMO_SOURCES, env: { REFRESH_CONCURRENCY: '4' } });
    const { runtime } = svc.service;
    const lock = await runtime.locks.acquire('crm_metrics_daily', 'test');
    expect(lock).toBeDefined();
    await runtime.queues.refresh.add('refresh', { runId: 'r1', date: D, table: 'crm_metrics_daily' }, { jobId: 'locked-refresh' });
    await waitForState(runtime.queues.refresh, 'locked-refresh', ['delayed']);
    await lock?.release();
    const job = await waitForState(runtime.queues.refresh, 'locked-refresh', ['completed'], 20_000);
    expect(job.attemptsMade).toBe(1);
  });
});

describe('shutdown', () => {
  test('a task still running after the grace period is cancelled and put back in the queue, not failed', async () => {
    svc = await startTestService({ sources: DEMO_SOURCES, env: { SHUTDOWN_GRACE_MS: '300' } });
    const { runtime } = svc.service;
    await makeActionsSlow(runtime.warehouse, S);
    await runtime.queues.refresh.add('refresh', { runId: 'r', date: D, table: 'crm_actions_open_snapshot' }, { jobId: 'long' });
    await waitForState(runtime.queues.refresh, 'long', ['active']);
    await waitFor('the refresh to reach the engine', async () => (await runtime.queues.refresh.getJobLogs('long')).count > 0);
    await svc.service.stop();
    const redis = await connectRedis(svc.config.redisUrl, `${svc.prefix}:check`);
    const queues = createQueues(svc.config, redis);
    const job = await queues.refresh.getJob('long');
    expect(await job?.getState()).toBe('waiting');
    expect(job?.failedReason ?? '').toBe('');
    await closeQueues(queues);
    await redis.quit();
  });
});
