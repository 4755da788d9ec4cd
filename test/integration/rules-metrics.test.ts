/** crm_metrics_daily against TABLES.md, on hand-written rows, real DuckDB. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { refreshTable } from '../../src/tasks/refresh.js';
import { refreshRange } from '../../src/tables/windows.js';
import { createFixture, type Fixture } from '../support/duckdb-fixture.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
const T = 'hs_franquia.gold_connect_bot.crm_metrics_daily';
const COLS =
  'data_referencia, organization_id, location_id, total_verificacoes, verificacoes_nao_conformes, total_perguntas, perguntas_nao_conformes, total_controles_criticos, controles_criticos_nao_conformes';

describe('crm_metrics_daily', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await createFixture();
    await f.setSources({
      verifications: [
        ['V1', 'O1', 'L1', '2026-11-29 08:00:00'],
        ['V1', 'O1', 'L1', '2026-11-29 08:00:00'], // exact repeat: counted once
        ['V2', 'O1', 'L1', '2026-11-29 23:59:59'], // last second of D
        ['V3', 'O1', 'L2', '2026-11-23 00:00:00'], // D-6: first day of the window
        ['V4', 'O1', 'L2', '2026-11-22 23:59:59'], // D-7: outside the window
        ['V5', 'O1', 'L1', '2026-11-30 00:00:00'], // after D: not read
        ['V6', 'O1', 'L1', null], // no date: no day
        ['V7', 'O2', 'L3', '2026-11-25 12:00:00'], // no questions at all
      ],
      questions: [
        ['V1', 'Q1', true, false], // the same pair twice, different answers:
        ['V1', 'Q1', false, true], //   critical, answered, non-conforming
        ['V1', 'Q2', false, null], // unanswered
        ['V1', 'Q3', true, null], // unanswered critical control, repeated
        ['V1', 'Q3', true, null],
        ['V1', 'Q4', false, false],
        ['V2', 'Q1', true, false], // answered critical control, conforming
        ['V2', 'Q2', null, false], // NULL critical flag: not critical
        ['V2', 'Q2', null, false], // exact repeat
        ['V3', 'Q1', false, true],
        ['V4', 'Q1', true, true], // verification outside the window
        ['V5', 'Q1', true, true], // verification after D
        ['V6', 'Q1', true, true], // verification without a date
        ['V9', 'Q1', true, true], // unknown verification
      ],
    });
    for (const s of f.sql.init()) await f.warehouse.execute(s);
    // Rows already in the table: one outside the window (must stay), one inside
    // the window for a day that now has no verifications (must go).
    await f.warehouse.execute({
      sql: `INSERT INTO ${T} VALUES
        (DATE '2026-11-22', 'OX', 'LX', 9, 9, 9, 9, 9, 9, TIMESTAMP '2026-11-22 06:00:00'),
        (DATE '2026-11-24', 'OY', 'LY', 5, 5, 5, 5, 5, 5, TIMESTAMP '2026-11-24 06:00:00')`,
    });
    await refreshTable(f.ctx, 'crm_metrics_daily', refreshRange('crm_metrics_daily', D, 7));
  });
  afterAll(() => f.cleanup());

  test('the window [D-6, D] is recomputed by the rules; rows outside it are untouched', async () => {
    expect(await f.rows(`SELECT ${COLS} FROM ${T} ORDER BY data_referencia, organization_id, location_id`)).toEqual([
      {
        data_referencia: '2026-11-22',
        organization_id: 'OX',
        location_id: 'LX',
        total_verificacoes: 9,
        verificacoes_nao_conformes: 9,
        total_perguntas: 9,
        perguntas_nao_conformes: 9,
        total_controles_criticos: 9,
        controles_criticos_nao_conformes: 9,
      },
      {
        data_referencia: '2026-11-23',
        organization_id: 'O1',
        location_id: 'L2',
        total_verificacoes: 1,
        verificacoes_nao_conformes: 1,
        total_perguntas: 1,
        perguntas_nao_conformes: 1,
        total_controles_criticos: 0,
        controles_criticos_nao_conformes: 0,
      },
      {
        data_referencia: '2026-11-25',
        organization_id: 'O2',
        location_id: 'L3',
        total_verificacoes: 1,
        verificacoes_nao_conformes: 0,
        total_perguntas: 0,
        perguntas_nao_conformes: 0,
        total_controles_criticos: 0,
        controles_criticos_nao_conformes: 0,
      },
      {
        data_referencia: '2026-11-29',
        organization_id: 'O1',
        location_id: 'L1',
        total_verificacoes: 2,
        verificacoes_nao_conformes: 1,
        total_perguntas: 4,
        perguntas_nao_conformes: 1,
        total_controles_criticos: 2,
        controles_criticos_nao_conformes: 1,
      },
    ]);
  });

  test('every written row carries atualizado_em; the untouched row keeps its own', async () => {
    const rows = await f.rows(`SELECT data_referencia, atualizado_em FROM ${T} ORDER BY data_referencia`);
    expect(rows[0]?.atualizado_em).toBe('2026-11-22T06:00:00.000Z');
    for (const r of rows.slice(1)) expect(Date.parse(String(r.atualizado_em))).toBeGreaterThan(Date.now() - 60_000);
  });

  test('a window of 1 day only replaces D', async () => {
    await refreshTable(f.ctx, 'crm_metrics_daily', refreshRange('crm_metrics_daily', D, 1));
    expect(await f.rows(`SELECT COUNT(*) AS n FROM ${T}`)).toEqual([{ n: 4 }]);
  });
});
