/**
 * The source audit on hand-written rows (each anomaly kind counted, nothing
 * else), daily validation counting only what the run read, and the queued
 * audit: its own queue and scheduler, recorded for the metrics.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { upsertSchedule, AUDIT_SCHEDULER_ID } from '../../src/producer/scheduler.js';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import { runSourceAudit } from '../../src/tasks/audit.js';
import { runInline } from '../../src/tasks/run-inline.js';
import { createFixture, type Fixture, type SourceRows } from '../support/duckdb-fixture.js';
import { startTestService, type TestService } from '../support/service.js';
import { waitForState } from '../support/wait.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
const NOW = () => new Date('2026-11-29T10:00:00Z');

const SOURCES: SourceRows = {
  verifications: [
    ['V1', 'O1', 'L1', '2026-11-29 08:00:00'],
    ['V1', 'O1', 'L1', '2026-11-29 08:00:00'], // an exact repeat: not an anomaly
    ['V2', 'O1', 'L1', null], // no date: 1
    ['V3', 'O1', 'L2', '2024-01-10 08:00:00'], // far outside the window: dated, fine
  ],
  questions: [
    ['V1', 'Q1', true, true],
    ['V3', 'Q1', false, false],
    ['V2', 'Q1', false, true], // its verification has no date: unknown, 1
    ['V9', 'Q1', false, true], // no such verification: 2
    ['V9', 'Q1', false, true], // the same question repeated: still 2
  ],
  actions: [
    ['A1', 'O1', 'L1', 'V1', 'ana', 'corretiva', 'ABERTA', '2026-12-01', '2026-11-01 00:00:00', null],
    ['A2', 'O1', 'L1', 'V1', 'bia', 'corretiva', 'CONCLUIDA', null, '2026-11-01 00:00:00', '2026-11-10 00:00:00'], // closed properly
    ['A3', 'O1', 'L1', null, null, null, 'CANCELADA', null, '2026-11-02 00:00:00', null], // closed, no CLOSED_AT: 1
    ['A3', 'O1', 'L1', null, null, null, 'CANCELADA', null, '2026-11-02 00:00:00', null], // exact repeat: still 1
    ['A4', 'O1', 'L2', null, null, null, 'CONCLUIDA', null, '2026-12-05 00:00:00', null], // created after D: 2 in the audit only
  ],
};

describe('source audit', () => {
  let f: Fixture | undefined;
  let svc: TestService | undefined;
  afterEach(async () => {
    await f?.cleanup();
    await svc?.stop();
    f = undefined;
    svc = undefined;
  });

  test('counts each anomaly kind over the whole views, and nothing else', async () => {
    f = await createFixture();
    await f.setSources(SOURCES);
    const report = await runSourceAudit(f.ctx, NOW);
    expect(report.anomalies).toEqual({ acoes_fechadas_sem_closed_at: 2, verificacoes_sem_data: 1, perguntas_sem_verificacao: 2 });
    expect(report.at).toBe('2026-11-29T10:00:00.000Z');
  });

  test('clean sources have no anomaly', async () => {
    f = await createFixture();
    await f.setSources({
      verifications: SOURCES.verifications?.filter((v) => v[3] !== null),
      questions: SOURCES.questions?.slice(0, 2),
      actions: SOURCES.actions?.slice(0, 2),
    });
    expect((await runSourceAudit(f.ctx, NOW)).anomalies).toEqual({
      acoes_fechadas_sem_closed_at: 0,
      verificacoes_sem_data: 0,
      perguntas_sem_verificacao: 0,
    });
  });

  test('daily validation reports only the anomalies among the rows the run read for D', async () => {
    f = await createFixture();
    await f.setSources(SOURCES);
    const summary = await runInline(f.ctx, f.config, { date: D, tables: TABLE_NAMES, tasks: ['refresh', 'retention', 'validation'] });
    // A3 was read for D (created before it, not closed before it); A4 was created after D.
    expect(summary.validation?.anomalies).toEqual({ acoes_fechadas_sem_closed_at: 1 });
  });

  test('queued: its own queue and job scheduler; the worker records the report for the metrics', async () => {
    svc = await startTestService({ sources: SOURCES, roles: ['worker', 'web'], env: { SOURCE_AUDIT_CRON: '0 7 * * 0' } });
    const { queues, state, log, clock } = svc.service.runtime;
    await upsertSchedule(queues, svc.config, state, log, clock);
    const scheduler = await queues['source-audit'].getJobScheduler(AUDIT_SCHEDULER_ID);
    expect(scheduler).toMatchObject({ pattern: '0 7 * * 0', tz: 'America/Sao_Paulo' });
    await queues['source-audit'].add('source-audit', {}, { jobId: 'source-audit__manual__1' });
    const job = await waitForState(queues['source-audit'], 'source-audit__manual__1', ['completed', 'failed']);
    expect(job.failedReason).toBeUndefined();
    expect((await state.lastAudit())?.anomalies).toEqual({
      acoes_fechadas_sem_closed_at: 2,
      verificacoes_sem_data: 1,
      perguntas_sem_verificacao: 2,
    });
    const res = await fetch(`http://127.0.0.1:${svc.service.port}/metrics`);
    const text = await res.text();
    expect(text).toContain('crm_source_anomalies{kind="verificacoes_sem_data"} 1');
    expect(text).toContain('crm_source_anomalies{kind="perguntas_sem_verificacao"} 2');
    expect(text).toMatch(/crm_source_audit_last_success_timestamp_seconds \d+/);
  });

  test('a bad payload fails once, without retry', async () => {
    svc = await startTestService({ sources: SOURCES, roles: ['worker'] });
    const { queues } = svc.service.runtime;
    await queues['source-audit'].add('source-audit', { date: 'tomorrow' }, { jobId: 'bad', attempts: 3 });
    const job = await waitForState(queues['source-audit'], 'bad', ['failed']);
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/invalid source-audit payload/);
  });
});
