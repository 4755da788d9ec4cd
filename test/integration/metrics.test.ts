/** Metric values (not only names) through the real service, Redis and DuckDB. */
import { afterEach, describe, expect, test } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { planDailyRun } from '../../src/producer/scheduler.js';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import { metricValue } from '../support/metrics.js';
import { startTestService, TEST_NOW, type TestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { waitFor, waitForState } from '../support/wait.js';
import { countStatements, failFirstReplace, makeActionsSlow } from '../support/faults.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
const S = 'hs_franquia.gold_connect_bot';
const started: TestService[] = [];
afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.stop();
});
const start = async (opts: Parameters<typeof startTestService>[0]): Promise<TestService> => {
  const s = await startTestService(opts);
  started.push(s);
  return s;
};
const scrape = async (s: TestService): Promise<string> => (await fetch(`http://127.0.0.1:${s.service.port}/metrics`)).text();
const plan = (s: TestService, date = D) => planDailyRun(s.service.runtime, date);

describe('metrics', () => {
  test('after a successful run: outcomes, per-table values, validation status, no run in progress', async () => {
    const s = await start({ sources: DEMO_SOURCES });
    await plan(s);
    await waitForState(s.service.runtime.queues.validation, `validation__${D}`, ['completed']);
    const m = await scrape(s);
    for (const table of TABLE_NAMES) {
      expect(metricValue(m, 'crm_task_runs_total', { task: 'refresh', table, outcome: 'success' })).toBe(1);
      expect(metricValue(m, 'crm_task_runs_total', { task: 'refresh', table, outcome: 'failure' })).toBe(0);
      expect(metricValue(m, 'crm_task_runs_total', { task: 'retention', table, outcome: 'success' })).toBe(1);
      expect(metricValue(m, 'crm_table_last_success_timestamp_seconds', { table })).toBe(Date.parse(TEST_NOW) / 1000); // the service's clock
      expect(metricValue(m, 'crm_table_validation_status', { table, status: 'ok' })).toBe(1);
      expect(metricValue(m, 'crm_table_validation_status', { table, status: 'critical' })).toBe(0);
      expect(metricValue(m, 'crm_table_data_lag_days', { table })).toBe(0);
      expect(metricValue(m, 'crm_table_refresh_in_progress', { table })).toBe(0);
    }
    expect(metricValue(m, 'crm_table_rows_written', { table: 'crm_actions_open_snapshot' })).toBe(2);
    expect(metricValue(m, 'crm_table_rows', { table: 'crm_metrics_daily' })).toBe(2);
    expect(metricValue(m, 'crm_task_runs_total', { task: 'validation', table: 'all', outcome: 'success' })).toBe(1);
    expect(metricValue(m, 'crm_validation_check_failures', { check: 'priorities_match_snapshot' })).toBe(0);
    expect(metricValue(m, 'crm_run_duration_seconds_count')).toBe(1);
    expect(metricValue(m, 'crm_run_in_progress_seconds')).toBe(0);
    expect(metricValue(m, 'crm_runs_slow_total')).toBe(0);
    expect(metricValue(m, 'crm_scheduler_last_enqueued_timestamp_seconds')).toBe(Date.parse(TEST_NOW) / 1000); // the service's clock
    expect(metricValue(m, 'crm_queue_jobs', { queue: 'refresh', state: 'completed' })).toBe(3);
    expect(metricValue(m, 'crm_queue_workers', { queue: 'refresh' })).toBeGreaterThanOrEqual(1);
    expect(
      metricValue(m, 'crm_warehouse_statement_duration_seconds_count', { engine: 'duckdb', task: 'refresh', outcome: 'success' }),
    ).toBeGreaterThan(0);
  });

  test('a retried attempt counts as retry, a final failure as failure, and the run as failed', async () => {
    const s = await start({ sources: DEMO_SOURCES, wrap: failFirstReplace, env: { REFRESH_CONCURRENCY: '1' } });
    await s.service.runtime.warehouse.execute({ sql: `DROP TABLE ${S}.vw_crm_verification_question` });
    await plan(s);
    await waitForState(s.service.runtime.queues.validation, `validation__${D}`, ['failed']);
    const m = await scrape(s);
    const count = (table: string, outcome: string) => metricValue(m, 'crm_task_runs_total', { task: 'refresh', table, outcome }) ?? NaN;
    // The metrics table's view is missing: a final failure at once, no retry.
    expect([count('crm_metrics_daily', 'failure'), count('crm_metrics_daily', 'retry')]).toEqual([1, 0]);
    // One action table's first attempt hit the transient error: one retry, then success for both.
    expect(count('crm_action_priorities_daily', 'retry') + count('crm_actions_open_snapshot', 'retry')).toBe(1);
    expect([count('crm_action_priorities_daily', 'success'), count('crm_actions_open_snapshot', 'success')]).toEqual([1, 1]);
    expect(metricValue(m, 'crm_task_runs_total', { task: 'validation', table: 'all', outcome: 'failure' })).toBe(1);
    expect(metricValue(m, 'crm_table_last_success_timestamp_seconds', { table: 'crm_metrics_daily' })).toBe(0);
    expect(metricValue(m, 'crm_table_validation_status', { table: 'crm_metrics_daily', status: 'critical' })).toBe(1);
  });

  test('crm_run_in_progress_seconds grows while a task runs and returns to 0', async () => {
    // A clock the test moves: the run's age is what the clock says, not how fast this machine is.
    let at = Date.parse(TEST_NOW);
    const clock = { now: () => new Date(at) };
    const s = await start({ sources: DEMO_SOURCES, env: { JOB_TIMEOUT_MS: '2500', JOB_ATTEMPTS: '1' }, clock });
    const { runtime } = s.service;
    await makeActionsSlow(runtime.warehouse, S);
    await plan(s);
    at += 5000;
    await waitFor(
      'a refresh in progress',
      async () =>
        (await runtime.state.tables(['crm_actions_open_snapshot']))['crm_actions_open_snapshot']?.refresh_active === '1' || undefined,
    );
    expect(metricValue(await scrape(s), 'crm_run_in_progress_seconds')).toBe(5);
    at += 60_000;
    expect(metricValue(await scrape(s), 'crm_run_in_progress_seconds')).toBe(65);
    const busy = await scrape(s);
    expect(
      ['crm_action_priorities_daily', 'crm_actions_open_snapshot'].map((table) =>
        metricValue(busy, 'crm_table_refresh_in_progress', { table }),
      ),
    ).toContain(1);
    await waitForState(runtime.queues.validation, `validation__${D}`, ['failed'], 30_000);
    expect(metricValue(await scrape(s), 'crm_run_in_progress_seconds')).toBe(0);
  });

  test('staleness timestamps survive a restart of the service', async () => {
    const s = await start({ sources: DEMO_SOURCES });
    await plan(s);
    await waitForState(s.service.runtime.queues.validation, `validation__${D}`, ['completed']);
    const before = metricValue(await scrape(s), 'crm_table_last_success_timestamp_seconds', { table: 'crm_metrics_daily' });
    await s.stopService();
    const again = await start({ reuse: s });
    const after = await scrape(again);
    expect(metricValue(after, 'crm_table_last_success_timestamp_seconds', { table: 'crm_metrics_daily' })).toBe(before);
    expect(metricValue(after, 'crm_table_validation_status', { table: 'crm_metrics_daily', status: 'ok' })).toBe(1);
    // In-process counters start again from zero in the new process.
    expect(metricValue(after, 'crm_task_runs_total', { task: 'refresh', table: 'crm_metrics_daily', outcome: 'success' })).toBe(0);
  });

  test('a scrape issues no warehouse statement', async () => {
    const counter = { n: 0 };
    const s = await start({ sources: DEMO_SOURCES, wrap: countStatements(counter) });
    await plan(s);
    await waitForState(s.service.runtime.queues.validation, `validation__${D}`, ['completed']);
    await s.settled(); // the read API's warm-up after the refresh queries the warehouse too: let it finish first
    const before = counter.n;
    expect(before).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) expect(metricValue(await scrape(s), 'crm_table_rows', { table: 'crm_metrics_daily' })).toBe(2);
    expect(counter.n).toBe(before);
  });

  test('a worker-only process serves its own metrics and probes, without the board', async () => {
    const s = await start({ sources: DEMO_SOURCES, roles: ['worker'] });
    const base = `http://127.0.0.1:${s.service.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/admin/queues`)).status).toBe(404);
    const m = await scrape(s);
    expect(metricValue(m, 'crm_task_runs_total', { task: 'refresh', table: 'crm_metrics_daily', outcome: 'success' })).toBe(0);
    expect(metricValue(m, 'crm_table_rows', { table: 'crm_metrics_daily' })).toBeUndefined();
  });
});

describe('shared metrics without Redis', () => {
  test('a scrape still answers, with crm_shared_state_up 0 and no stale shared values', async () => {
    const { Registry } = await import('prom-client');
    const { Redis } = await import('ioredis');
    const { registerSharedMetrics } = await import('../../src/metrics/shared.js');
    const { createQueues, closeQueues } = await import('../../src/queue/queues.js');
    const { StateStore } = await import('../../src/state/store.js');
    const { loadConfig } = await import('../../src/config/index.js');
    const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: () => 1000 });
    redis.on('error', () => undefined);
    const config = loadConfig({ QUEUE_PREFIX: '{crmtest-noredis}' });
    const queues = createQueues(config, redis);
    for (const q of Object.values(queues)) q.on('error', () => undefined);
    const registry = new Registry();
    const refresh = registerSharedMetrics(registry, {
      config,
      queues,
      state: new StateStore(redis, config.queuePrefix),
      clock: fixedClock('2026-11-29T10:00:00Z'),
    });
    await refresh();
    const text = await registry.metrics();
    expect(metricValue(text, 'crm_shared_state_up')).toBe(0);
    expect(metricValue(text, 'crm_table_last_success_timestamp_seconds', { table: 'crm_metrics_daily' })).toBeUndefined();
    // Absent, not 0: a 0 would read as "never" and page (CrmSchedulerMissed) during any Redis outage.
    for (const name of [
      'crm_scheduler_last_enqueued_timestamp_seconds',
      'crm_scheduler_next_run_timestamp_seconds',
      'crm_validation_last_timestamp_seconds',
      'crm_run_in_progress_seconds',
      'crm_source_audit_last_success_timestamp_seconds',
    ]) {
      expect(text, name).not.toMatch(new RegExp(`^${name} `, 'm'));
    }
    await closeQueues(queues).catch(() => undefined);
    redis.disconnect();
  });
});
