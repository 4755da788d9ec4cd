/**
 * A queued run through the real service, Redis and DuckDB: the anomalies the
 * snapshot's refresh counted among the actions it read are what the run's
 * validation reports (the view is not read again), and every task's rows
 * written and read are exported per task and table.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { planDailyRun } from '../../src/producer/scheduler.js';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import { metricValue } from '../support/metrics.js';
import { startTestService, type TestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { waitForState } from '../support/wait.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
const S = 'hs_franquia.gold_connect_bot';
let svc: TestService | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

// One action closed without CLOSED_AT (an anomaly, never open), besides the demo's open and closed ones.
const SOURCES = {
  ...DEMO_SOURCES,
  actions: [...(DEMO_SOURCES.actions ?? []), ['A4', 'O1', 'L2', null, null, null, 'CANCELADA', null, '2026-09-03 00:00:00', null]],
};

describe('rows per task, anomalies from the refresh (queued run)', () => {
  test('validation reports the count of the snapshot refresh; rows written and scanned are exported per task and table', async () => {
    svc = await startTestService({ sources: SOURCES as typeof DEMO_SOURCES });
    const { queues } = svc.service.runtime;
    await planDailyRun(svc.service.runtime, D);
    const validation = await waitForState(queues.validation, `validation__${D}`, ['completed']);

    const refresh = await queues.refresh.getJob(`refresh__crm_actions_open_snapshot__${D}`);
    expect(refresh?.returnvalue).toMatchObject({ anomalies: { acoes_fechadas_sem_closed_at: 1 } });
    const { logs } = await queues.validation.getJobLogs(validation.id ?? '');
    expect(logs.join('\n')).toContain('acoes_fechadas_sem_closed_at=1');

    const m = await (await fetch(`http://127.0.0.1:${svc.service.port}/metrics`)).text();
    for (const table of TABLE_NAMES) {
      const [row] = await svc.rows(
        `SELECT COUNT(*) AS n FROM ${S}.${table} WHERE ${table === 'crm_actions_open_snapshot' ? 'data_snapshot' : 'data_referencia'} >= DATE '2026-11-23'`,
      );
      expect(metricValue(m, 'crm_task_rows_written_total', { task: 'refresh', table }), table).toBe(Number(row?.n));
      expect(metricValue(m, 'crm_task_rows_written_total', { task: 'retention', table }), table).toBe(0);
      expect(metricValue(m, 'crm_task_rows_scanned_total', { task: 'refresh', table }), table).toBeGreaterThan(0);
    }
    // The snapshot's refresh read every action once (4 rows) and its stage; validation read only the tables.
    expect(metricValue(m, 'crm_task_rows_scanned_total', { task: 'refresh', table: 'crm_actions_open_snapshot' })).toBeGreaterThanOrEqual(
      SOURCES.actions.length,
    );
    expect(metricValue(m, 'crm_task_rows_scanned_total', { task: 'validation', table: 'all' })).toBeGreaterThan(0);
  });
});
