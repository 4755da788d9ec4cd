/**
 * What the daily run reads, from DuckDB's profiler (rows read per table
 * scan): no source row outside the window / open-actions predicate, the
 * actions view read and de-duplicated once, priorities derived from the
 * snapshot rows just written for D (refreshed after them).
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { buildFlow } from '../../src/producer/planner.js';
import { TABLE_NAMES, refreshOrder } from '../../src/tables/registry.js';
import type { TaskContext } from '../../src/tasks/context.js';
import { runInline } from '../../src/tasks/run-inline.js';
import type { StatementProfile } from '../../src/warehouse/duckdb-profile.js';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { createFixture, type Fixture } from '../support/duckdb-fixture.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
const S = 'hs_franquia.gold_connect_bot';
/** Three of DuckDB's row groups (122,880 rows each) of history far before the window. */
const OLD = 3 * 122_880;
const ROW_GROUP = 122_880;

describe('what the daily run reads', () => {
  let f: Fixture;
  let profiles: StatementProfile[];
  let ctx: TaskContext;
  let warehouse: DuckDbWarehouse;
  beforeEach(async () => {
    f = await createFixture();
    await f.setSources({});
    // History years before the window first (as a view's storage grows), then the window's rows.
    await f.warehouse.execute({
      sql: `INSERT INTO ${S}.vw_crm_verification SELECT 'OLD' || lpad(i::VARCHAR, 7, '0'), 'O1', 'L' || (i % 50)::VARCHAR, TIMESTAMP '2021-01-01' + INTERVAL (i) MINUTE FROM range(${OLD}) t(i)`,
    });
    await f.warehouse.execute({
      sql: `INSERT INTO ${S}.vw_crm_verification_question SELECT 'OLD' || lpad(i::VARCHAR, 7, '0'), 'Q1', false, false FROM range(${OLD}) t(i)`,
    });
    await f.warehouse.execute({
      sql: `INSERT INTO ${S}.vw_crm_verification SELECT 'W' || i::VARCHAR, 'O1', 'L' || (i % 5)::VARCHAR, TIMESTAMP '2026-11-27 08:00:00' + INTERVAL (i) MINUTE FROM range(100) t(i)`,
    });
    await f.warehouse.execute({
      sql: `INSERT INTO ${S}.vw_crm_verification_question SELECT 'W' || (i // 3)::VARCHAR, 'Q' || (i % 3)::VARCHAR, i % 2 = 0, i % 4 = 0 FROM range(300) t(i)`,
    });
    // Actions: open ones, closed ones, one closed without CLOSED_AT; an exact repeat.
    await f.warehouse.execute({
      sql: `INSERT INTO ${S}.vw_crm_action SELECT 'A' || i::VARCHAR, 'O1', 'L' || (i % 5)::VARCHAR, NULL, 'ana', 'corretiva',
              CASE WHEN i % 3 = 0 THEN 'CONCLUIDA' ELSE 'ABERTA' END, DATE '2026-11-20' + (i % 30)::INTEGER, TIMESTAMP '2026-01-01' + INTERVAL (i) HOUR,
              CASE WHEN i % 3 = 0 AND i <> 9 THEN TIMESTAMP '2026-06-01' END
            FROM range(2000) t(i)`,
    });
    await f.warehouse.execute({ sql: `INSERT INTO ${S}.vw_crm_action SELECT * FROM ${S}.vw_crm_action WHERE ACTION_ID = 'A1'` });
    await f.warehouse.execute({ sql: 'CHECKPOINT' });
    profiles = [];
    warehouse = new DuckDbWarehouse({ path: f.path, catalog: f.config.catalog, onProfile: (p) => profiles.push(p) });
    ctx = { ...f.ctx, warehouse };
  });
  afterEach(async () => {
    await warehouse.close();
    await f.cleanup();
  });

  const scanned = (view: string, of: readonly StatementProfile[] = profiles): number =>
    of.reduce((n, p) => n + (p.rowsScanned[`${S}.${view}`] ?? 0), 0);

  test('the refresh reads no source row group outside the window, and the actions once', async () => {
    const summary = await runInline(ctx, f.config, { date: D, tables: TABLE_NAMES, tasks: ['refresh'] });
    expect(summary.ok).toBe(true);
    const actions = Number((await f.rows(`SELECT COUNT(*) AS n FROM ${S}.vw_crm_action`))[0]?.n);
    // Less than one row group of each of the big views: none of the history's row groups was read.
    expect(scanned('vw_crm_verification')).toBeGreaterThanOrEqual(100);
    expect(scanned('vw_crm_verification')).toBeLessThan(ROW_GROUP);
    expect(scanned('vw_crm_verification_question')).toBeGreaterThanOrEqual(300);
    expect(scanned('vw_crm_verification_question')).toBeLessThan(ROW_GROUP);
    // Every action row can be open on D (no order to prune on): read once, by the snapshot alone.
    expect(scanned('vw_crm_action')).toBe(actions);
    expect(profiles.filter((p) => (p.rowsScanned[`${S}.vw_crm_action`] ?? 0) > 0)).toHaveLength(1);
    expect(profiles.find((p) => p.sql.startsWith(`INSERT INTO ${S}.crm_action_priorities_daily`))?.rowsScanned).not.toHaveProperty(
      `${S}.vw_crm_action`,
    );
  });

  test('a whole run reads the actions view once: validation reports the anomalies the snapshot refresh counted among them', async () => {
    const summary = await runInline(ctx, f.config, { date: D, tables: TABLE_NAMES, tasks: ['refresh', 'retention', 'validation'] });
    expect(summary.ok).toBe(true);
    expect(summary.validation?.anomalies).toEqual({ acoes_fechadas_sem_closed_at: 1 });
    const actions = Number((await f.rows(`SELECT COUNT(*) AS n FROM ${S}.vw_crm_action`))[0]?.n);
    expect(scanned('vw_crm_action')).toBe(actions);
    expect(profiles.filter((p) => (p.rowsScanned[`${S}.vw_crm_action`] ?? 0) > 0)).toHaveLength(1);
    // The refresh's stage is the session's own: nothing of it is left in the file.
    const [left] = await f.rows(`SELECT COUNT(*) AS n FROM duckdb_tables() WHERE table_name LIKE 'crm_acoes_lidas%'`);
    expect(Number(left?.n)).toBe(0);
  });

  test('validation alone (no refresh in its run) reads no question and no verification outside the window; its anomaly count reads the actions that can be open on D', async () => {
    await runInline(ctx, f.config, { date: D, tables: TABLE_NAMES, tasks: ['refresh'] });
    profiles.length = 0;
    const summary = await runInline(ctx, f.config, { date: D, tables: TABLE_NAMES, tasks: ['validation'] });
    expect(summary.validation?.checksPassed).toBe(true);
    expect(summary.validation?.anomalies).toEqual({ acoes_fechadas_sem_closed_at: 1 });
    expect(scanned('vw_crm_verification_question')).toBe(0);
    // The window's days without metrics rows are looked up among the window's verifications (what the refresh read), never the history.
    expect(scanned('vw_crm_verification')).toBeLessThanOrEqual(100);
  });

  test('priorities are derived from the snapshot: refreshed after it, inline and in the flow', async () => {
    expect(refreshOrder(['crm_action_priorities_daily'])).toEqual(['crm_actions_open_snapshot', 'crm_action_priorities_daily']);
    const summary = await runInline(ctx, f.config, { date: D, tables: ['crm_action_priorities_daily'], tasks: ['refresh'] });
    expect(summary.outcomes.map((o) => o.table)).toEqual(['crm_actions_open_snapshot', 'crm_action_priorities_daily']);
    const [p] = await f.rows(`SELECT SUM(total_acoes) AS n FROM ${S}.crm_action_priorities_daily WHERE data_referencia = DATE '${D}'`);
    const [s] = await f.rows(`SELECT COUNT(*) AS n FROM ${S}.crm_actions_open_snapshot WHERE data_snapshot = DATE '${D}'`);
    expect(Number(p?.n)).toBe(Number(s?.n));
    expect(Number(s?.n)).toBeGreaterThan(0);

    const flow = buildFlow({ runId: D, date: D, tables: TABLE_NAMES, retention: true }, f.config);
    const priorities = flow.children?.find((c) => (c.data as { table: string }).table === 'crm_action_priorities_daily');
    const refresh = priorities?.children?.[0];
    expect(refresh?.data).toMatchObject({ table: 'crm_action_priorities_daily', after: `refresh__crm_actions_open_snapshot__${D}` });
    // Its child is the snapshot's chain for D (retention ← refresh): it runs once they have settled.
    expect(refresh?.children?.[0]?.opts?.jobId).toBe(`retention__crm_actions_open_snapshot__${D}`);
    expect(refresh?.children?.[0]?.children?.[0]?.opts?.jobId).toBe(`refresh__crm_actions_open_snapshot__${D}`);
    expect(flow.children?.map((c) => c.opts?.jobId)).toEqual([
      `retention__crm_metrics_daily__${D}`,
      `retention__crm_action_priorities_daily__${D}`,
    ]);
  });
});
