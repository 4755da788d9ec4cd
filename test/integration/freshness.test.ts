/**
 * Freshness is a property of the table, not of the last task: re-running an
 * older date never moves it back, never clears what a newer date raised, and
 * an inline run is seen by the read API at once.
 */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, test } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { statusReport } from '../../src/cli/status.js';
import { registerSharedMetrics } from '../../src/metrics/shared.js';
import { QUEUE_NAMES } from '../../src/queue/jobs.js';
import { connectRedis } from '../../src/queue/redis.js';
import { StateStore } from '../../src/state/store.js';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import { runInline } from '../../src/tasks/run-inline.js';
import { validate, type ValidationReport } from '../../src/tasks/validation.js';
import { apiGet, runThroughQueue } from '../support/api.js';
import { runCli } from '../support/cli.js';
import { metricValue } from '../support/metrics.js';
import { cleanupPrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { startTestService, type TestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { parseIsoDate, type IsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
const S = 'hs_franquia.gold_connect_bot';
// 07:00 in São Paulo on D: today is D.
const clock = fixedClock('2026-11-29T10:00:00Z');
let svc: TestService | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

const scrape = async (s: TestService): Promise<string> => (await fetch(`http://127.0.0.1:${s.service.port}/metrics`)).text();

describe('freshness per table', () => {
  test('run D, then re-run D-4 with force: every surface keeps D as the latest date and lag 0', async () => {
    svc = await startTestService({ sources: DEMO_SOURCES, clock });
    await runThroughQueue(svc, D);
    await runThroughQueue(svc, parseIsoDate('2026-11-25'), true);
    const rt = svc.service.runtime;

    const m = await scrape(svc);
    const fresh = await apiGet(svc, '/freshness');
    const status = await statusReport(rt, clock);
    const pastValidation = await validate(
      { warehouse: rt.warehouse, sql: rt.sql, log: rt.log },
      parseIsoDate('2026-11-25'),
      TABLE_NAMES,
      svc.config.refreshWindowDays,
      clock.now(),
    );
    for (const table of TABLE_NAMES) {
      const latest = (
        await svc.rows(`SELECT MAX(${table === 'crm_actions_open_snapshot' ? 'data_snapshot' : 'data_referencia'}) AS d FROM ${S}.${table}`)
      )[0]?.d;
      expect(latest).toBe(D);
      expect(metricValue(m, 'crm_table_data_lag_days', { table })).toBe(0);
      expect(metricValue(m, 'crm_table_validation_status', { table, status: 'ok' })).toBe(1);
      const f = fresh.body.tables.find((t) => t.table === table);
      expect(f).toMatchObject({ latest_date: D, data_lag_days: 0, status: 'ok', last_validation: { date: D, data_lag_days_at_date: 0 } });
      expect(status.tables.find((t) => t.table === table)).toMatchObject({ latestDate: D, dataLagDays: 0, status: 'ok' });
      // The validation table of the older date: the table holds a later date, so it is not behind.
      expect(pastValidation.tables.find((t) => t.tabela === table)).toMatchObject({ ultima_data: D, dias_atraso: 0 });
    }
  });

  test('an inline run is visible through the read API at once (generations bumped, state recorded)', async () => {
    svc = await startTestService({ sources: DEMO_SOURCES, clock });
    await runThroughQueue(svc, D);
    const rt = svc.service.runtime;
    const before = await apiGet(svc, '/priorities');
    const total = (b: typeof before.body): number => b.categories.reduce((n, c) => n + c.total_acoes, 0);
    expect((await apiGet(svc, '/priorities')).headers.get('x-cache')).toMatch(/hit/);
    // A new open action appears in the source.
    await rt.warehouse.execute({
      sql: `INSERT INTO ${S}.vw_crm_action VALUES ('A-NEW', 'O1', 'L1', NULL, 'ana', 'corretiva', 'ABERTA', DATE '2026-12-01', TIMESTAMP '2026-11-28 10:00:00', NULL)`,
    });
    const summary = await runInline(
      { warehouse: rt.warehouse, sql: rt.sql, log: rt.log },
      svc.config,
      { date: D, tables: TABLE_NAMES, tasks: ['refresh', 'retention', 'validation'] },
      { recorder: rt.state, clock },
    );
    expect(summary.ok).toBe(true);
    // The warm-ups the run's bumps started have loaded: the read below is theirs (hit) or its own (miss), never beside them.
    await svc.settled();
    const after = await apiGet(svc, '/priorities');
    expect([total(after.body), after.headers.get('x-cache')]).toEqual([total(before.body) + 1, expect.anything()]);
    const fresh = await apiGet(svc, '/freshness');
    for (const t of fresh.body.tables)
      expect(t).toMatchObject({ latest_date: D, data_lag_days: 0, last_refresh: { run_id: `inline-${D}`, outcome: 'success' } });
  });
});

describe('the recorded state never moves back', () => {
  const prefix = uniquePrefix();
  afterEach(() => cleanupPrefix(prefix));

  const report = (date: IsoDate, status: 'ok' | 'critical', ultima: string): ValidationReport => ({
    date,
    tables: TABLE_NAMES.map((tabela) => ({
      tabela,
      registros: 1,
      ultima_data: ultima,
      dias_atraso: 0,
      ultima_atualizacao: null,
      status,
      reasons: [],
      failed_checks: [],
    })),
    checks: [],
    anomalies: null,
    checksPassed: true,
    worstStatus: status,
    seconds: 0,
  });

  test('an older date validated or refreshed after a newer one changes no alerting series', async () => {
    const redis = await connectRedis(REDIS_URL, `${prefix}:test`);
    try {
      const state = new StateStore(redis, prefix);
      const config = { scheduleTz: 'America/Sao_Paulo', schedulePauseAlertHours: 24 };
      const queues = Object.fromEntries(
        QUEUE_NAMES.map((q) => [q, { getJobCounts: () => Promise.resolve({}), getWorkersCount: () => Promise.resolve(0) }]),
      );
      const registry = new Registry();
      const refresh = registerSharedMetrics(registry, { config, queues: queues as never, state, clock });
      const rec = (date: IsoDate, outcome: 'success' | 'failure') => ({
        date,
        runId: date,
        outcome,
        seconds: 1,
        rowsWritten: outcome === 'success' ? 1 : null,
        finishedAt: 1,
      });
      // D failed and its validation is critical.
      await state.recordTask('crm_actions_open_snapshot', 'refresh', rec(D, 'failure'));
      await state.recordValidation(report(D, 'critical', '2026-11-28'));
      // A re-run of D-4 succeeds afterwards.
      await state.recordTask('crm_actions_open_snapshot', 'refresh', rec(parseIsoDate('2026-11-25'), 'success'));
      await state.recordValidation(report(parseIsoDate('2026-11-25'), 'ok', '2026-11-28'));
      await refresh();
      let m = await registry.metrics();
      expect(metricValue(m, 'crm_table_task_failed', { task: 'refresh', table: 'crm_actions_open_snapshot' })).toBe(1);
      expect(metricValue(m, 'crm_table_validation_status', { table: 'crm_actions_open_snapshot', status: 'critical' })).toBe(1);
      expect(metricValue(m, 'crm_table_data_lag_days', { table: 'crm_actions_open_snapshot' })).toBe(1);
      // The retry of D succeeds: everything clears.
      await state.recordTask('crm_actions_open_snapshot', 'refresh', rec(D, 'success'));
      await state.recordValidation(report(D, 'ok', D));
      await refresh();
      m = await registry.metrics();
      expect(metricValue(m, 'crm_table_task_failed', { task: 'refresh', table: 'crm_actions_open_snapshot' })).toBe(0);
      expect(metricValue(m, 'crm_table_validation_status', { table: 'crm_actions_open_snapshot', status: 'ok' })).toBe(1);
      expect(metricValue(m, 'crm_table_data_lag_days', { table: 'crm_actions_open_snapshot' })).toBe(0);
    } finally {
      await redis.quit();
    }
  });
});

describe('run --inline without Redis', () => {
  test('still runs, and says in one line that the read API and freshness were not told', async () => {
    const { createFixture } = await import('../support/duckdb-fixture.js');
    const fixture = await createFixture();
    try {
      await fixture.setSources(DEMO_SOURCES);
      await fixture.warehouse.close();
      const r = await runCli(['run', '--inline', '--date', D], {
        DUCKDB_PATH: fixture.path,
        REDIS_URL: 'redis://127.0.0.1:1',
        LOG_LEVEL: 'silent',
      });
      expect(r.code).toBe(0);
      const notes = r.stdout.split('\n').filter((l) => l.startsWith('note:'));
      expect(notes).toHaveLength(1);
      expect(notes[0]).toMatch(
        /Redis at redis:\/\/127\.0\.0\.1:1 is unreachable: the read API's cache and the freshness state were not told about this run/,
      );
    } finally {
      await fixture.cleanup();
    }
  });
});
