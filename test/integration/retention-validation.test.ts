/** Retention edges, validation statuses and checks, idempotency, atomicity and cancellation: real DuckDB. */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { StatementCancelledError } from '../../src/errors.js';
import { applyRetention } from '../../src/tasks/retention.js';
import { runInline } from '../../src/tasks/run-inline.js';
import { validate } from '../../src/tasks/validation.js';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import { createFixture, type Fixture, type SourceRows } from '../support/duckdb-fixture.js';
import { parseIsoDate } from '../../src/dates.js';

/** Retention run on D itself. */
const ON_D = { timeZone: 'America/Sao_Paulo', now: new Date('2026-11-29T15:00:00Z') };
const S = 'hs_franquia.gold_connect_bot';
const D = parseIsoDate('2026-11-29');
const ALL = { tables: TABLE_NAMES, tasks: ['refresh', 'retention', 'validation'] as const };

const SOURCES: SourceRows = {
  verifications: [
    ['V1', 'O1', 'L1', '2026-11-29 08:00:00'],
    ['V2', 'O1', 'L2', '2026-11-27 08:00:00'],
  ],
  questions: [
    ['V1', 'Q1', true, true],
    ['V1', 'Q2', false, false],
    ['V2', 'Q1', true, false],
  ],
  actions: [
    ['A1', 'O1', 'L1', 'V1', 'ana', 'corretiva', 'ABERTA', '2026-11-20', '2026-11-01 00:00:00', null],
    ['A2', 'O1', 'L1', 'V1', 'bia', 'corretiva', 'ABERTA', null, '2026-11-02 00:00:00', null],
    ['A3', 'O1', 'L1', null, null, null, 'CONCLUIDA', null, '2026-11-02 00:00:00', null],
  ],
};

describe('retention, validation and run guarantees', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await createFixture({ RETENTION_DAYS: '90' });
    await f.setSources(SOURCES);
    for (const s of f.sql.init()) await f.warehouse.execute(s);
  });
  afterEach(() => f.cleanup());

  test('retention keeps the row at exactly D - R and deletes D - R - 1', async () => {
    await f.warehouse.execute({
      sql: `INSERT INTO ${S}.crm_actions_open_snapshot (data_snapshot, action_id, atualizado_em) VALUES
        (DATE '2026-08-30', 'old', now()), (DATE '2026-08-31', 'edge', now()), (DATE '2026-11-29', 'new', now())`,
    });
    const r = await applyRetention(f.ctx, 'crm_actions_open_snapshot', D, 90, ON_D);
    expect(r).toMatchObject({ cutoff: '2026-08-31', rowsDeleted: 1 });
    expect(await f.rows(`SELECT action_id FROM ${S}.crm_actions_open_snapshot ORDER BY 1`)).toEqual([
      { action_id: 'edge' },
      { action_id: 'new' },
    ]);
  });

  test('retention for a D after today (plus one day) deletes nothing; up to tomorrow it deletes as usual', async () => {
    await f.warehouse.execute({
      sql: `INSERT INTO ${S}.crm_actions_open_snapshot (data_snapshot, action_id, atualizado_em) VALUES (DATE '2026-08-30', 'old', now()), (DATE '2026-11-29', 'new', now())`,
    });
    // 23:30 on the 29th in São Paulo is already the 30th in UTC: "today" is the schedule zone's.
    const lateEvening = { timeZone: 'America/Sao_Paulo', now: new Date('2026-11-30T02:30:00Z') };
    const future = await applyRetention(f.ctx, 'crm_actions_open_snapshot', parseIsoDate('2099-01-01'), 90, lateEvening);
    expect(future).toMatchObject({
      rowsDeleted: 0,
      skipped: expect.stringMatching(
        /2099-01-01 is in the future \(today is 2026-11-29 in America\/Sao_Paulo; at most 2026-11-30 is accepted\)/,
      ) as unknown,
    });
    const dayAfterTomorrow = await applyRetention(f.ctx, 'crm_actions_open_snapshot', parseIsoDate('2026-12-01'), 1, lateEvening);
    expect(dayAfterTomorrow.rowsDeleted).toBe(0);
    expect(await f.rows(`SELECT action_id FROM ${S}.crm_actions_open_snapshot ORDER BY 1`)).toEqual([
      { action_id: 'new' },
      { action_id: 'old' },
    ]);
    const tomorrow = await applyRetention(f.ctx, 'crm_actions_open_snapshot', parseIsoDate('2026-11-30'), 90, lateEvening);
    expect(tomorrow).toMatchObject({ cutoff: '2026-09-01', rowsDeleted: 1 });
  });

  test('a clean run validates ok; anomalies are counted, not fatal', async () => {
    const summary = await runInline(f.ctx, f.config, { date: D, ...ALL });
    expect(summary.ok).toBe(true);
    expect(summary.validation?.tables.map((t) => [t.tabela, t.registros, t.ultima_data, t.dias_atraso, t.status])).toEqual([
      ['crm_metrics_daily', 2, '2026-11-29', 0, 'ok'],
      ['crm_action_priorities_daily', 2, '2026-11-29', 0, 'ok'],
      ['crm_actions_open_snapshot', 2, '2026-11-29', 0, 'ok'],
    ]);
    // Only among the rows the run read (whole-view anomalies are the source audit's).
    expect(summary.validation?.anomalies).toEqual({ acoes_fechadas_sem_closed_at: 1 });
  });

  test('statuses: lag of the snapshot tables > 2 days is critical, of the metrics table only a warning; empty is critical', async () => {
    await runInline(f.ctx, f.config, { date: parseIsoDate('2026-11-26'), ...ALL, tasks: ['refresh'] });
    // Validate 3 days later: metrics' newest day is 2026-11-26 (the 27th and 29th were not refreshed yet).
    const report = await validate(f.ctx, D, TABLE_NAMES, 7);
    expect(report.tables.map((t) => [t.tabela, t.dias_atraso, t.status])).toEqual([
      ['crm_metrics_daily', null, 'critical'], // nothing verified in [11-20, 11-26]: empty
      ['crm_action_priorities_daily', 3, 'critical'],
      ['crm_actions_open_snapshot', 3, 'critical'],
    ]);
    await runInline(f.ctx, f.config, { date: parseIsoDate('2026-11-27'), ...ALL, tasks: ['refresh'] });
    const later = await validate(f.ctx, D, TABLE_NAMES, 7);
    // A lag of 2 days alone is a warning; the sources have rows for the 29th, which no table holds: critical.
    expect(later.tables.map((t) => [t.dias_atraso, t.status, t.reasons[0], t.dias_faltando])).toEqual([
      [2, 'critical', 'data lag 2 days (> 1)', [D]],
      [2, 'critical', 'data lag 2 days (> 1)', [D]],
      [2, 'critical', 'data lag 2 days (> 1)', [D]],
    ]);
  });

  test('a table last written more than 48 hours before the check is critical', async () => {
    await runInline(f.ctx, f.config, { date: D, ...ALL });
    const report = await validate(f.ctx, D, TABLE_NAMES, 7, new Date(Date.now() + 49 * 3_600_000));
    expect(report.tables.every((t) => t.status === 'critical' && t.reasons.some((r) => r.startsWith('last written')))).toBe(true);
  });

  test('broken consistency checks fail the validation and are named', async () => {
    await runInline(f.ctx, f.config, { date: D, ...ALL });
    await f.warehouse.execute({
      sql: `INSERT INTO ${S}.crm_actions_open_snapshot (data_snapshot, action_id, atualizado_em) SELECT data_snapshot, action_id, atualizado_em FROM ${S}.crm_actions_open_snapshot LIMIT 1`,
    });
    await f.warehouse.execute({
      sql: `UPDATE ${S}.crm_metrics_daily SET total_controles_criticos = total_perguntas + 1 WHERE data_referencia = DATE '${D}'`,
    });
    const report = await validate(f.ctx, D, TABLE_NAMES, 7);
    expect(report.checksPassed).toBe(false);
    expect(Object.fromEntries(report.checks.map((c) => [c.name, c.falhas]))).toEqual({
      priorities_match_snapshot: 1,
      snapshot_unique_actions: 1,
      metrics_within_totals: 1,
    });
    expect(report.tables.find((t) => t.tabela === 'crm_actions_open_snapshot')?.failed_checks).toEqual([
      'priorities_match_snapshot',
      'snapshot_unique_actions',
    ]);
    const summary = await runInline(f.ctx, f.config, { date: D, ...ALL, tasks: ['validation'] });
    expect(summary.ok).toBe(false);
    expect(summary.outcomes[0]?.error).toMatch(/priorities_match_snapshot/);
  });

  test('two runs give identical tables (idempotent)', async () => {
    const dump = async () => Promise.all(TABLE_NAMES.map((t) => f.rows(`SELECT * EXCLUDE (atualizado_em) FROM ${S}.${t} ORDER BY ALL`)));
    await runInline(f.ctx, f.config, { date: D, ...ALL });
    const first = await dump();
    await runInline(f.ctx, f.config, { date: D, ...ALL });
    expect(await dump()).toEqual(first);
    expect(first.map((rows) => rows.length)).toEqual([2, 2, 2]);
  });

  test('a statement failing mid-refresh leaves the previous rows intact (atomic replace)', async () => {
    await runInline(f.ctx, f.config, { date: D, ...ALL });
    const before = await f.rows(`SELECT * FROM ${S}.crm_metrics_daily ORDER BY ALL`);
    // A source whose date no longer casts: the DELETE runs, then the INSERT fails.
    await f.warehouse.execute({
      sql: `CREATE OR REPLACE TABLE ${S}.vw_crm_verification AS SELECT 'V1' AS VERIFICATION_ID, 'O1' AS ORGANIZATION_ID, 'L1' AS LOCATION_ID, 'not a date' AS VERIFICATION_DATE`,
    });
    const summary = await runInline(f.ctx, f.config, { date: D, tables: ['crm_metrics_daily'], tasks: ['refresh'] });
    expect(summary.outcomes[0]).toMatchObject({ task: 'refresh', ok: false });
    expect(await f.rows(`SELECT * FROM ${S}.crm_metrics_daily ORDER BY ALL`)).toEqual(before);
  });

  test('aborting a task interrupts the running DuckDB statement', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('timeout')), 200);
    const slow = f.warehouse.query({ sql: 'SELECT SUM(hash(i)) AS s FROM range(100000000000) t(i)' }, { signal: abort.signal });
    await expect(slow).rejects.toBeInstanceOf(StatementCancelledError);
  });
});
