/** The queued run on real Redis and real DuckDB: planning, idempotency, retries, timeouts, bad payloads. */
import { afterEach, describe, expect, test } from 'vitest';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import { planDailyRun, scheduleProcessor, tickDate } from '../../src/producer/scheduler.js';
import { runInline } from '../../src/tasks/run-inline.js';
import { createFixture } from '../support/duckdb-fixture.js';
import { startTestService, type TestService } from '../support/service.js';
import { waitForState } from '../support/wait.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { failFirstReplace, makeActionsSlow } from '../support/faults.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
const S = 'hs_franquia.gold_connect_bot';
let svc: TestService | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

const dump = async (rows: (sql: string) => Promise<Record<string, unknown>[]>) =>
  Promise.all(TABLE_NAMES.map((t) => rows(`SELECT * EXCLUDE (atualizado_em) FROM ${S}.${t} ORDER BY ALL`)));

describe('queued runs', () => {
  test('a tick plans one flow for D in the schedule time zone, with deterministic ids; a double tick adds nothing', async () => {
    svc = await startTestService({ sources: DEMO_SOURCES, roles: ['worker', 'scheduler'] });
    const { queues } = svc.service.runtime;
    // 01:30 UTC on the 30th is 22:30 on the 29th in São Paulo.
    const tick = Date.parse('2026-11-30T01:30:00Z');
    expect(tickDate({ opts: { prevMillis: tick }, timestamp: tick }, 'America/Sao_Paulo')).toBe(D);
    await queues.schedule.add('plan', {}, { prevMillis: tick });
    await queues.schedule.add('plan', {}, { prevMillis: tick });
    const validation = await waitForState(queues.validation, `validation__${D}`, ['completed']);
    expect(validation.data).toMatchObject({ runId: D, date: D, tables: TABLE_NAMES });
    for (const t of TABLE_NAMES) {
      const refresh = await queues.refresh.getJob(`refresh__${t}__${D}`);
      const retention = await queues.retention.getJob(`retention__${t}__${D}`);
      expect(await refresh?.getState()).toBe('completed');
      expect(await retention?.getState()).toBe('completed');
      expect(refresh?.attemptsMade).toBe(1); // ran once
    }
    expect(await queues.refresh.getCompletedCount()).toBe(3);
    expect(await queues.validation.getCompletedCount()).toBe(1);
    const again = await planDailyRun(svc.service.runtime, D);
    expect(again.added).toBe(false);
    expect(await svc.rows(`SELECT COUNT(*) AS n FROM ${S}.crm_actions_open_snapshot WHERE data_snapshot = DATE '${D}'`)).toEqual([
      { n: 2 },
    ]);
    void scheduleProcessor;
  });

  test('a transient failure is retried and ends with tables identical to a clean run', async () => {
    svc = await startTestService({ sources: DEMO_SOURCES, wrap: failFirstReplace, env: { REFRESH_CONCURRENCY: '1' } });
    const { runtime } = svc.service;
    await planDailyRun(runtime, D);
    await waitForState(runtime.queues.validation, `validation__${D}`, ['completed']);
    const retried = (await Promise.all(TABLE_NAMES.map((t) => runtime.queues.refresh.getJob(`refresh__${t}__${D}`)))).map(
      (j) => j?.attemptsMade,
    );
    expect(retried.sort()).toEqual([1, 1, 2]); // one refresh needed a second attempt
    const queued = await dump((sql) => svc!.rows(sql));

    const clean = await createFixture();
    try {
      await clean.setSources(DEMO_SOURCES);
      await runInline(clean.ctx, clean.config, { date: D, tables: TABLE_NAMES, tasks: ['refresh', 'retention', 'validation'] });
      expect(queued).toEqual(await dump((sql) => clean.rows(sql)));
    } finally {
      await clean.cleanup();
    }
  });

  test('a task past its timeout is cancelled in the engine, fails the attempt, and leaves the table as it was', async () => {
    svc = await startTestService({ sources: DEMO_SOURCES, env: { JOB_TIMEOUT_MS: '1500', JOB_ATTEMPTS: '1' } });
    const { runtime } = svc.service;
    await runtime.warehouse.execute({
      sql: `INSERT INTO ${S}.crm_actions_open_snapshot (data_snapshot, action_id, atualizado_em) VALUES (DATE '${D}', 'before', now())`,
    });
    // A source that takes hours to read.
    await makeActionsSlow(runtime.warehouse, S);
    await runtime.queues.refresh.add('refresh', { runId: 'slow', date: D, table: 'crm_actions_open_snapshot' }, { jobId: 'slow-refresh' });
    const job = await waitForState(runtime.queues.refresh, 'slow-refresh', ['failed'], 60_000);
    expect(job.failedReason).toMatch(/timed out after 1.5s: its statement was cancelled/);
    expect(job.attemptsMade).toBe(1);
    expect(await svc.rows(`SELECT action_id FROM ${S}.crm_actions_open_snapshot`)).toEqual([{ action_id: 'before' }]);
  });

  test.each([
    [
      'an impossible date',
      { runId: 'x', date: '2026-02-30', table: 'crm_metrics_daily' },
      /invalid refresh payload: date must be a real date/,
    ],
    ['an unknown table', { runId: 'x', date: D, table: 'crm_foo' }, /invalid refresh payload: table/],
    ['a missing field', { date: D, table: 'crm_metrics_daily' }, /invalid refresh payload: runId/],
  ])('a payload with %s fails once, without retry', async (_name, data, message) => {
    svc ??= await startTestService({ sources: DEMO_SOURCES });
    const { queues } = svc.service.runtime;
    const id = `bad-${Math.random().toString(36).slice(2)}`;
    await queues.refresh.add('refresh', data, { jobId: id, attempts: 3 });
    const job = await waitForState(queues.refresh, id, ['failed']);
    expect(job.failedReason).toMatch(message);
    expect(job.attemptsMade).toBe(1);
  });
});
