/**
 * Guarded publish on a real DuckDB file: a day that looks broken next to the
 * seven before it is held (the previous rows stay), the task fails once with
 * one clear line, and `--accept-anomaly` publishes it — inline through the
 * CLI, queued through real Redis, and with the count-first path Databricks takes.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { addDays, dateRange, parseIsoDate } from '../../src/dates.js';
import { PublishHeldError } from '../../src/errors.js';
import { planDailyRun } from '../../src/producer/scheduler.js';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import { SqlBuilder } from '../../src/tables/statements.js';
import { refreshTable } from '../../src/tasks/refresh.js';
import { refreshRange } from '../../src/tables/windows.js';
import { runInline } from '../../src/tasks/run-inline.js';
import { duckdbDialect } from '../../src/warehouse/dialect.js';
import { runCli } from '../support/cli.js';
import { createFixture, type Fixture, type SourceRows } from '../support/duckdb-fixture.js';
import { metricValue } from '../support/metrics.js';
import { cleanupPrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { startTestService, type TestService } from '../support/service.js';
import { waitForState } from '../support/wait.js';

const D = parseIsoDate('2026-11-29'); // a Sunday
const S = 'hs_franquia.gold_connect_bot';

/** `n` open actions created long before D; a verification on every weekday of the 3 weeks up to D. */
function sources(actions: number, verifications = true): SourceRows {
  const weekdays = dateRange(addDays(D, -20), D).filter((d) => ![0, 6].includes(new Date(`${d}T12:00:00Z`).getUTCDay()));
  return {
    verifications: verifications ? weekdays.map((d, i) => [`V${i}`, 'O1', 'L1', `${d} 09:00:00`]) : [],
    questions: verifications ? weekdays.map((_d, i) => [`V${i}`, 'Q1', true, false]) : [],
    actions: Array.from({ length: actions }, (_v, i) => [
      `A${i}`,
      'O1',
      'L1',
      null,
      'ana',
      'corretiva',
      'ABERTA',
      '2026-12-31',
      '2026-09-01 00:00:00',
      null,
    ]),
  };
}

/** Publish D-7 … D-1 with `sources(10)`: seven days of history. */
async function withHistory(f: Fixture): Promise<void> {
  await f.setSources(sources(10));
  for (const day of dateRange(addDays(D, -7), addDays(D, -1))) {
    const summary = await runInline(f.ctx, f.config, { date: day, tables: TABLE_NAMES, tasks: ['refresh'] });
    expect(summary.ok).toBe(true);
  }
}

const count = async (f: { rows: (sql: string) => Promise<Record<string, unknown>[]> }, table: string, column: string): Promise<number> =>
  Number((await f.rows(`SELECT COUNT(*) AS n FROM ${S}.${table} WHERE ${column} = DATE '${D}'`))[0]?.n);

let fixture: Fixture | undefined;
let svc: TestService | undefined;
afterEach(async () => {
  await svc?.stop();
  await fixture?.cleanup();
  svc = undefined;
  fixture = undefined;
});

describe('guarded publish', () => {
  test('run --inline: a thin actions view is held (previous rows kept, exit 1, one clear line); --accept-anomaly publishes it', async () => {
    const f = (fixture = await createFixture());
    await withHistory(f);
    await runInline(f.ctx, f.config, { date: D, tables: TABLE_NAMES, tasks: ['refresh'] });
    expect(await count(f, 'crm_actions_open_snapshot', 'data_snapshot')).toBe(10);
    const before = await f.rows(`SELECT * FROM ${S}.crm_action_priorities_daily ORDER BY ALL`);
    await f.setSources(sources(4)); // 4 < 0.5 × 10
    await f.warehouse.close();
    const prefix = uniquePrefix();
    const env = { DUCKDB_PATH: f.path, REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' };
    try {
      const held = await runCli(['run', '--inline', '--date', D, '--tasks', 'refresh'], env);
      expect(held.code).toBe(1);
      const line = held.stdout.split('\n').find((l) => l.includes('refresh') && l.includes('crm_actions_open_snapshot')) ?? '';
      expect(line).toMatch(
        /FAILED.*crm_actions_open_snapshot for 2026-11-29 held, previous rows kept: 4 open actions on 2026-11-29 vs a median of 10 over the 7 days before \(below PUBLISH_MIN_RATIO=0.5\); check vw_crm_action, then publish it anyway with 'crm-materializer run --date 2026-11-29 --tables crm_actions_open_snapshot --accept-anomaly'/,
      );
      expect(held.stdout).toMatch(
        /refresh\s+crm_action_priorities_daily\s+FAILED.*computed from crm_actions_open_snapshot, whose refresh failed/,
      );
      // Sunday: no verification on D or D-1, but the week is in line: published.
      expect(held.stdout).toMatch(/refresh\s+crm_metrics_daily\s+ok/);
      expect(await count(f, 'crm_actions_open_snapshot', 'data_snapshot')).toBe(10);
      expect(await f.rows(`SELECT * FROM ${S}.crm_action_priorities_daily ORDER BY ALL`)).toEqual(before);
      await f.warehouse.close();
      // Recorded like any failure (freshness, status, the metrics the alerts read).
      const status = await runCli(['status', '--json'], env);
      expect(status.stdout).toContain('held, previous rows kept');

      const accepted = await runCli(['run', '--inline', '--date', D, '--tasks', 'refresh', '--accept-anomaly'], env);
      expect(accepted.code).toBe(0);
      expect(await count(f, 'crm_actions_open_snapshot', 'data_snapshot')).toBe(4);
    } finally {
      await f.warehouse.close();
      await cleanupPrefix(prefix);
    }
  });

  test('an empty verification view holds the metrics; a Sunday with none is published; an empty day with no history is published', async () => {
    const f = (fixture = await createFixture());
    const guard = { minRatio: f.config.publishMinRatio, accept: false };
    const metrics = (c = f.ctx) => refreshTable(c, 'crm_metrics_daily', refreshRange('crm_metrics_daily', D, 7), new Date(), guard);
    // No history yet: even an empty day is published.
    await f.setSources(sources(0, false));
    for (const s of f.sql.init()) await f.warehouse.execute(s);
    await expect(refreshTable(f.ctx, 'crm_actions_open_snapshot', { from: D, to: D }, new Date(), guard)).resolves.toMatchObject({
      rowsWritten: 0,
    });
    await withHistory(f);
    await expect(metrics()).resolves.toMatchObject({ rowsWritten: 5 });
    const published = await f.rows(`SELECT * FROM ${S}.crm_metrics_daily ORDER BY ALL`);
    await f.setSources(sources(10, false));
    const held = await metrics().catch((e: unknown) => e);
    expect(held).toBeInstanceOf(PublishHeldError);
    expect((held as Error).message).toMatch(
      /^crm_metrics_daily for 2026-11-29 held, previous rows kept: 0 verifications in the 7 days ending 2026-11-29 vs a median of 5 over the 7 days before .*check vw_crm_verification, vw_crm_verification_question/,
    );
    expect(await f.rows(`SELECT * FROM ${S}.crm_metrics_daily ORDER BY ALL`)).toEqual(published);

    // Databricks' path: the candidate counted from the refresh's SELECT before a replace that cannot be stopped.
    let replaces = 0;
    const sql = new SqlBuilder(f.config, { ...duckdbDialect, checksInsideReplace: false });
    const warehouse = {
      ...f.warehouse,
      engine: f.warehouse.engine,
      query: f.warehouse.query.bind(f.warehouse),
      execute: f.warehouse.execute.bind(f.warehouse),
      close: f.warehouse.close.bind(f.warehouse),
      executeAtomic: (s: Parameters<typeof f.warehouse.executeAtomic>[0], o?: Parameters<typeof f.warehouse.executeAtomic>[1]) => (
        replaces++,
        f.warehouse.executeAtomic(s, o)
      ),
    };
    const countFirst = { ...f.ctx, sql, warehouse };
    await expect(metrics(countFirst)).rejects.toBeInstanceOf(PublishHeldError);
    expect(replaces).toBe(0);
    await f.setSources(sources(10));
    await expect(metrics(countFirst)).resolves.toMatchObject({ rowsWritten: 5 });
    expect(replaces).toBe(1);
  });

  test('queued: the held refresh fails once, unretried, counted as a failure; `run --accept-anomaly --wait` publishes it', async () => {
    svc = await startTestService({ sources: sources(10) });
    const { runtime } = svc.service;
    const ctx = { warehouse: runtime.warehouse, sql: runtime.sql, log: runtime.log };
    for (const day of dateRange(addDays(D, -7), addDays(D, -1)))
      await runInline(ctx, svc.config, { date: day, tables: TABLE_NAMES, tasks: ['refresh'] });
    await runtime.warehouse.execute({ sql: `DELETE FROM ${S}.vw_crm_action WHERE ACTION_ID NOT IN ('A0', 'A1')` });
    await planDailyRun(runtime, D);
    const id = `refresh__crm_actions_open_snapshot__${D}`;
    await waitForState(runtime.queues.refresh, id, ['failed']);
    // Read again once failed: the job read while its state changed may lack the reason.
    const job = (await runtime.queues.refresh.getJob(id))!;
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/^crm_actions_open_snapshot for 2026-11-29 held, previous rows kept: 2 open actions/);
    await waitForState(runtime.queues.validation, `validation__${D}`, ['failed']);
    const text = await (await fetch(`http://127.0.0.1:${svc.service.port}/metrics`)).text();
    expect(metricValue(text, 'crm_task_runs_total', { task: 'refresh', table: 'crm_actions_open_snapshot', outcome: 'failure' })).toBe(1);
    expect(await count(svc, 'crm_actions_open_snapshot', 'data_snapshot')).toBe(0);

    const bad = await runtime.queues.refresh.add(
      'refresh',
      { runId: 'bad', date: D, table: 'crm_actions_open_snapshot', acceptAnomaly: 'yes' },
      { jobId: 'bad-accept' },
    );
    await waitForState(runtime.queues.refresh, bad.id ?? '', ['failed']);
    expect((await runtime.queues.refresh.getJob(bad.id ?? ''))?.failedReason).toMatch(/invalid refresh payload: acceptAnomaly/);

    const env = { DUCKDB_PATH: svc.fixture.path, REDIS_URL, QUEUE_PREFIX: svc.prefix, LOG_LEVEL: 'silent' };
    const accepted = await runCli(['run', '--date', D, '--tables', 'crm_actions_open_snapshot', '--accept-anomaly', '--wait'], env);
    expect(accepted.stdout).toMatch(/succeeded/);
    expect(accepted.code).toBe(0);
    expect(await count(svc, 'crm_actions_open_snapshot', 'data_snapshot')).toBe(2);
  });
});
