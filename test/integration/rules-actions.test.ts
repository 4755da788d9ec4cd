/** crm_actions_open_snapshot and crm_action_priorities_daily against TABLES.md, real DuckDB. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { refreshTable } from '../../src/tasks/refresh.js';
import { refreshRange } from '../../src/tables/windows.js';
import { createFixture, type Fixture, type SourceRows } from '../support/duckdb-fixture.js';
import { parseIsoDate } from '../../src/dates.js';

const SNAP = 'hs_franquia.gold_connect_bot.crm_actions_open_snapshot';
const PRIO = 'hs_franquia.gold_connect_bot.crm_action_priorities_daily';
// 2026-12-31 is a Thursday; its ISO week runs Monday 2026-12-28 .. Sunday 2027-01-03.
const D1 = parseIsoDate('2026-12-31');
// 2027-01-03 is that week's Sunday: the next day is already the next week.
const D2 = parseIsoDate('2027-01-03');

type A = NonNullable<SourceRows['actions']>[number];
const a = (id: string, loc: string, status: string, due: string | null, created: string, closed: string | null = null): A => [
  id,
  'O1',
  loc,
  `V-${id}`,
  `resp-${id}`,
  'corretiva',
  status,
  due,
  created,
  closed,
];

const ACTIONS: A[] = [
  a('A01', 'L1', 'ABERTA', '2026-12-30', '2026-12-01 09:00:00'), // overdue by 1 day
  a('A02', 'L1', 'EM_ANDAMENTO', '2026-12-31', '2026-12-02 09:00:00'), // due on D: S=0
  a('A03', 'L1', 'ABERTA', '2027-01-03', '2026-12-03 09:00:00'), // Sunday of D's week: S=0
  a('A04', 'L1', 'ABERTA', '2027-01-04', '2026-12-03 09:00:00'), // next Monday, across the year: S=1
  a('A05', 'L2', 'ABERTA', '2027-01-31', '2026-12-04 09:00:00'), // Sunday of week +4: S=4
  a('A06', 'L2', 'ABERTA', '2027-02-01', '2026-12-04 09:00:00'), // Monday of week +5: Posterior a S=4
  a('A07', 'L2', 'ABERTA', null, '2026-12-05 09:00:00'), // no due date
  a('A08', 'L1', 'ABERTA', '2026-12-01', '2026-11-20 09:00:00'), // overdue by 30 days
  a('A09', 'L1', 'ABERTA', '2027-01-10', '2027-01-01 08:00:00'), // created after D1
  a('A10', 'L1', 'ABERTA', '2027-01-01', '2026-12-31 23:30:00'), // created on D1
  a('A11', 'L1', 'CONCLUIDA', '2026-12-15', '2026-12-01 09:00:00', '2026-12-31 10:00:00'), // closed on D1
  a('A12', 'L1', 'CONCLUIDA', '2026-12-15', '2026-12-01 09:00:00', '2027-01-02 10:00:00'), // closed after D1: open on D1
  a('A13', 'L1', 'CONCLUIDA', null, '2026-12-01 09:00:00'), // closed status without CLOSED_AT: never open
  a('A14', 'L1', 'CANCELADA', '2026-12-20', '2026-12-01 09:00:00'), // likewise
  a('A15', 'L2', 'ABERTA', '2027-01-20', '2026-12-10 09:00:00'), // week +3
  a('A15', 'L2', 'ABERTA', '2027-01-20', '2026-12-10 09:00:00'), // exact repeat: counted once
  a('A16', 'L2', 'ABERTA', '2027-01-12', '2026-12-10 09:00:00'), // week +2
  a('A17', 'L1', 'ABERTA', '2026-12-25', '2026-12-01 09:00:00', '2026-12-20 10:00:00'), // closed before D1 whatever the status
];

const snap = (id: string, loc: string, status: string, due: string | null, prioridade: string, dias: number | null, created: string) => ({
  data_snapshot: D1,
  action_id: id,
  organization_id: 'O1',
  location_id: loc,
  verification_id: `V-${id}`,
  responsavel: `resp-${id}`,
  tipo: 'corretiva',
  status,
  data_vencimento: due,
  prioridade,
  dias_atraso: dias,
  criado_em: created,
});

describe('open actions as of D', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await createFixture();
    await f.setSources({ actions: ACTIONS });
    for (const s of f.sql.init()) await f.warehouse.execute(s);
    for (const d of [D1, D2]) {
      await refreshTable(f.ctx, 'crm_actions_open_snapshot', refreshRange('crm_actions_open_snapshot', d, 7));
      await refreshTable(f.ctx, 'crm_action_priorities_daily', refreshRange('crm_action_priorities_daily', d, 7));
    }
  });
  afterAll(() => f.cleanup());

  test('crm_actions_open_snapshot for D1: one row per open action, category and days overdue', async () => {
    const rows = await f.rows(
      `SELECT data_snapshot, action_id, organization_id, location_id, verification_id, responsavel, tipo, status, data_vencimento, prioridade, dias_atraso, criado_em
       FROM ${SNAP} WHERE data_snapshot = DATE '${D1}' ORDER BY action_id`,
    );
    expect(rows).toEqual([
      snap('A01', 'L1', 'ABERTA', '2026-12-30', 'Vencidas', 1, '2026-12-01T09:00:00.000Z'),
      snap('A02', 'L1', 'EM_ANDAMENTO', '2026-12-31', 'S=0', 0, '2026-12-02T09:00:00.000Z'),
      snap('A03', 'L1', 'ABERTA', '2027-01-03', 'S=0', 0, '2026-12-03T09:00:00.000Z'),
      snap('A04', 'L1', 'ABERTA', '2027-01-04', 'S=1', 0, '2026-12-03T09:00:00.000Z'),
      snap('A05', 'L2', 'ABERTA', '2027-01-31', 'S=4', 0, '2026-12-04T09:00:00.000Z'),
      snap('A06', 'L2', 'ABERTA', '2027-02-01', 'Posterior a S=4', 0, '2026-12-04T09:00:00.000Z'),
      snap('A07', 'L2', 'ABERTA', null, 'Sem vencimento', null, '2026-12-05T09:00:00.000Z'),
      snap('A08', 'L1', 'ABERTA', '2026-12-01', 'Vencidas', 30, '2026-11-20T09:00:00.000Z'),
      snap('A10', 'L1', 'ABERTA', '2027-01-01', 'S=0', 0, '2026-12-31T23:30:00.000Z'),
      snap('A12', 'L1', 'CONCLUIDA', '2026-12-15', 'Vencidas', 16, '2026-12-01T09:00:00.000Z'),
      snap('A15', 'L2', 'ABERTA', '2027-01-20', 'S=3', 0, '2026-12-10T09:00:00.000Z'),
      snap('A16', 'L2', 'ABERTA', '2027-01-12', 'S=2', 0, '2026-12-10T09:00:00.000Z'),
    ]);
  });

  test('crm_action_priorities_daily for D1: counts per category with their order', async () => {
    const rows = await f.rows(
      `SELECT data_referencia, organization_id, location_id, prioridade, ordem, total_acoes FROM ${PRIO}
       WHERE data_referencia = DATE '${D1}' ORDER BY location_id, ordem`,
    );
    const p = (loc: string, prioridade: string, ordem: number, total_acoes: number) => ({
      data_referencia: D1,
      organization_id: 'O1',
      location_id: loc,
      prioridade,
      ordem,
      total_acoes,
    });
    expect(rows).toEqual([
      p('L1', 'Vencidas', 0, 3),
      p('L1', 'S=0', 1, 3),
      p('L1', 'S=1', 2, 1),
      p('L2', 'S=2', 3, 1),
      p('L2', 'S=3', 4, 1),
      p('L2', 'S=4', 5, 1),
      p('L2', 'Posterior a S=4', 6, 1),
      p('L2', 'Sem vencimento', 7, 1),
    ]);
  });

  test('on Sunday D2 the following Monday is S=1, a due date of D2 is S=0, and D1 rows stay', async () => {
    const rows = await f.rows(
      `SELECT action_id, prioridade, dias_atraso, status FROM ${SNAP} WHERE data_snapshot = DATE '${D2}' AND action_id IN ('A03', 'A04', 'A10', 'A09', 'A12') ORDER BY action_id`,
    );
    expect(rows).toEqual([
      { action_id: 'A03', prioridade: 'S=0', dias_atraso: 0, status: 'ABERTA' },
      { action_id: 'A04', prioridade: 'S=1', dias_atraso: 0, status: 'ABERTA' },
      { action_id: 'A09', prioridade: 'S=1', dias_atraso: 0, status: 'ABERTA' },
      { action_id: 'A10', prioridade: 'Vencidas', dias_atraso: 2, status: 'ABERTA' },
    ]);
    expect(await f.rows(`SELECT data_snapshot AS d, COUNT(*) AS n FROM ${SNAP} GROUP BY 1 ORDER BY 1`)).toEqual([
      { d: D1, n: 12 },
      { d: D2, n: 12 }, // A09 opened, A12 closed on 2027-01-02
    ]);
  });

  test('sum(total_acoes) equals the snapshot row count for each date', async () => {
    const rows = await f.rows(`SELECT data_referencia AS d, SUM(total_acoes) AS n FROM ${PRIO} GROUP BY 1 ORDER BY 1`);
    expect(rows).toEqual([
      { d: D1, n: 12 },
      { d: D2, n: 12 },
    ]);
  });
});
