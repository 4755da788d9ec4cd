/** Validation names a day of the run's window a table lacks although its sources had rows: real DuckDB. */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { runInline } from '../../src/tasks/run-inline.js';
import { validate } from '../../src/tasks/validation.js';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { createFixture, type Fixture, type SourceRows } from '../support/duckdb-fixture.js';
import { parseIsoDate } from '../../src/dates.js';

const S = 'hs_franquia.gold_connect_bot';
const D = parseIsoDate('2026-11-29');
const ALL = { tables: TABLE_NAMES, tasks: ['refresh', 'retention', 'validation'] as const };

// Verifications on the 25th, 27th and 29th only: the other days of [11-23, 11-29] legitimately have no rows.
const SOURCES: SourceRows = {
  verifications: [
    ['V1', 'O1', 'L1', '2026-11-29 08:00:00'],
    ['V2', 'O1', 'L2', '2026-11-27 08:00:00'],
    ['V3', 'O2', 'L3', '2026-11-25 10:00:00'],
  ],
  questions: [
    ['V1', 'Q1', true, true],
    ['V2', 'Q1', true, false],
    ['V3', 'Q1', false, false],
  ],
  actions: [
    ['A1', 'O1', 'L1', 'V1', 'ana', 'corretiva', 'ABERTA', '2026-11-20', '2026-11-01 00:00:00', null],
    ['A2', 'O1', 'L1', 'V1', 'bia', 'corretiva', 'CONCLUIDA', null, '2026-11-02 00:00:00', '2026-11-29 09:00:00'],
  ],
};

const status = (r: Awaited<ReturnType<typeof validate>>) => r.tables.map((t) => [t.tabela, t.status, t.dias_faltando]);

/** The engine, recording every statement text it runs. */
function recording(w: Warehouse, seen: string[]): Warehouse {
  return {
    engine: w.engine,
    execute: (s, o) => (seen.push(s.sql), w.execute(s, o)),
    executeAtomic: (s, o) => w.executeAtomic(s, o),
    query: (s, o) => (seen.push(s.sql), w.query(s, o)),
    close: () => w.close(),
  };
}

describe('validation: days a table lacks', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await createFixture();
    await f.setSources(SOURCES);
    for (const s of f.sql.init()) await f.warehouse.execute(s);
  });
  afterEach(() => f.cleanup());

  test('a complete run is ok, days without source rows included, and reads no source for them', async () => {
    const summary = await runInline(f.ctx, f.config, { date: D, ...ALL });
    expect(summary.ok).toBe(true);
    expect(status(summary.validation!)).toEqual([
      ['crm_metrics_daily', 'ok', []],
      ['crm_action_priorities_daily', 'ok', []],
      ['crm_actions_open_snapshot', 'ok', []],
    ]);
    // The table holds every day it must: only the days without rows (no verifications) send it to the sources.
    const seen: string[] = [];
    await validate({ ...f.ctx, warehouse: recording(f.warehouse, seen) }, D, TABLE_NAMES, 7);
    expect(seen.filter((s) => s.includes('vw_crm_action') && !s.includes('STATUS IN'))).toEqual([]);
    expect(seen.filter((s) => s.includes('vw_crm_verification')).length).toBe(1);
  });

  test('a day of the window deleted from the metrics table: critical, naming the table, the day and the fix; re-running the date repairs it', async () => {
    await runInline(f.ctx, f.config, { date: D, ...ALL });
    await f.warehouse.execute({ sql: `DELETE FROM ${S}.crm_metrics_daily WHERE data_referencia = DATE '2026-11-27'` });
    const report = await validate(f.ctx, D, TABLE_NAMES, 7);
    expect(status(report)).toEqual([
      ['crm_metrics_daily', 'critical', ['2026-11-27']],
      ['crm_action_priorities_daily', 'ok', []],
      ['crm_actions_open_snapshot', 'ok', []],
    ]);
    expect(report.worstStatus).toBe('critical');
    expect(report.tables[0]?.reasons).toEqual([
      'crm_metrics_daily lacks day 2026-11-27 although the sources have rows for it: re-run the date with `crm-materializer run --date 2026-11-29 --tables crm_metrics_daily --force`',
    ]);
    // The run that finds it fails, as a run with a critical table does.
    const validation = await runInline(f.ctx, f.config, { date: D, ...ALL, tasks: ['validation'] });
    expect(validation.ok).toBe(false);
    expect(validation.validation?.tables[0]?.reasons[0]).toMatch(/^crm_metrics_daily lacks day 2026-11-27/);
    const rerun = await runInline(f.ctx, f.config, { date: D, ...ALL });
    expect(rerun.ok).toBe(true);
    expect(status(rerun.validation!)[0]).toEqual(['crm_metrics_daily', 'ok', []]);
  });

  test('two days missing, and D missing from both action tables (after crashed refreshes): each table critical', async () => {
    await runInline(f.ctx, f.config, { date: D, ...ALL });
    await f.warehouse.execute({
      sql: `DELETE FROM ${S}.crm_metrics_daily WHERE data_referencia IN (DATE '2026-11-25', DATE '2026-11-29')`,
    });
    await f.warehouse.execute({ sql: `DELETE FROM ${S}.crm_action_priorities_daily WHERE data_referencia = DATE '${D}'` });
    await f.warehouse.execute({ sql: `DELETE FROM ${S}.crm_actions_open_snapshot WHERE data_snapshot = DATE '${D}'` });
    // An older snapshot day keeps the tables non-empty: only the missing day can make them critical.
    await f.warehouse.execute({
      sql: `INSERT INTO ${S}.crm_actions_open_snapshot (data_snapshot, action_id, atualizado_em) VALUES (DATE '2026-11-28', 'A1', now())`,
    });
    await f.warehouse.execute({
      sql: `INSERT INTO ${S}.crm_action_priorities_daily (data_referencia, organization_id, location_id, prioridade, ordem, total_acoes, atualizado_em) VALUES (DATE '2026-11-28', 'O1', 'L1', 'Vencidas', 0, 1, now())`,
    });
    const report = await validate(f.ctx, D, TABLE_NAMES, 7);
    expect(status(report)).toEqual([
      ['crm_metrics_daily', 'critical', ['2026-11-25', '2026-11-29']],
      ['crm_action_priorities_daily', 'critical', [D]],
      ['crm_actions_open_snapshot', 'critical', [D]],
    ]);
    expect(report.tables[0]?.reasons).toContain(
      'crm_metrics_daily lacks days 2026-11-25, 2026-11-29 although the sources have rows for them: re-run the date with `crm-materializer run --date 2026-11-29 --tables crm_metrics_daily --force`',
    );
    expect(report.tables[2]?.reasons).toContain(
      'crm_actions_open_snapshot lacks day 2026-11-29 although the sources have rows for it: re-run the date with `crm-materializer run --date 2026-11-29 --tables crm_actions_open_snapshot --force`',
    );
  });

  test('a source that cannot be read cannot clear a day the table lacks: critical, with the error; validation still reports', async () => {
    await runInline(f.ctx, f.config, { date: D, ...ALL });
    await f.warehouse.execute({ sql: `DELETE FROM ${S}.crm_actions_open_snapshot WHERE data_snapshot = DATE '${D}'` });
    await f.warehouse.execute({ sql: `DROP TABLE ${S}.vw_crm_action` });
    const report = await validate(f.ctx, D, ['crm_actions_open_snapshot'], 7);
    expect(status(report)).toEqual([['crm_actions_open_snapshot', 'critical', [D]]]);
    expect(report.tables[0]?.reasons.at(-1)).toMatch(
      /^crm_actions_open_snapshot lacks day 2026-11-29 and its sources could not be read to tell whether it should \(.*vw_crm_action.*\): re-run the date with `crm-materializer run --date 2026-11-29 --tables crm_actions_open_snapshot --force`$/,
    );
  });

  test('a day without source rows is no missing day: no action open as of D leaves the snapshot tables without D, ok', async () => {
    // The one action closed on the 29th: open as of the 28th, not as of the 29th.
    await f.setSources({
      ...SOURCES,
      actions: [['A1', 'O1', 'L1', 'V2', 'ana', 'corretiva', 'CONCLUIDA', '2026-11-20', '2026-11-01 00:00:00', '2026-11-29 09:00:00']],
    });
    await runInline(f.ctx, f.config, { date: parseIsoDate('2026-11-28'), ...ALL });
    const summary = await runInline(f.ctx, f.config, { date: D, ...ALL });
    expect(await f.rows(`SELECT COUNT(*) AS n FROM ${S}.crm_actions_open_snapshot WHERE data_snapshot = DATE '${D}'`)).toEqual([{ n: 0 }]);
    expect(
      summary.outcomes.filter((o) => !o.ok),
      JSON.stringify(summary.validation?.tables),
    ).toEqual([]);
    expect(summary.ok, JSON.stringify(summary.validation?.tables)).toBe(true);
    expect(status(summary.validation!)).toEqual([
      ['crm_metrics_daily', 'ok', []],
      ['crm_action_priorities_daily', 'ok', []],
      ['crm_actions_open_snapshot', 'ok', []],
    ]);
  });
});
