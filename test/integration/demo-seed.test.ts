/** The demo seeder on a real DuckDB file: deterministic, realistic, every edge case present. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hasDemoData, seedDemo, type SeedProgress, type SeedSummary } from '../../src/demo/seed.js';
import { createLogger } from '../../src/log.js';
import { SOURCE_VIEWS, TABLE_NAMES, refreshOrder } from '../../src/tables/registry.js';
import { SqlBuilder } from '../../src/tables/statements.js';
import type { TaskContext } from '../../src/tasks/context.js';
import { refreshTable } from '../../src/tasks/refresh.js';
import { refreshRange } from '../../src/tables/windows.js';
import { runSourceAudit } from '../../src/tasks/audit.js';
import { validate } from '../../src/tasks/validation.js';
import { duckdbDialect } from '../../src/warehouse/dialect.js';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { parseIsoDate } from '../../src/dates.js';

const CATALOG = 'hs_franquia';
const SOURCE = 'gold_connect_bot';
const D = parseIsoDate('2026-11-29');
const src = (view: string, schema = SOURCE): string => `${CATALOG}.${schema}.${view}`;

describe('demo seed (small)', () => {
  let dir: string;
  let warehouse: DuckDbWarehouse;
  let first: SeedSummary;
  let emptyBefore: boolean;
  const progress: SeedProgress[] = [];

  const one = async (sql: string): Promise<Record<string, unknown>> => (await warehouse.query({ sql }))[0] ?? {};
  const num = async (sql: string): Promise<number> => Number(Object.values(await one(sql))[0]);
  const checksums = async (schema = SOURCE): Promise<string[]> => {
    const out: string[] = [];
    for (const view of SOURCE_VIEWS) {
      const row = await one(
        `SELECT COUNT(*) AS n, md5(string_agg(CAST(t AS VARCHAR), '|' ORDER BY CAST(t AS VARCHAR))) AS digest FROM ${src(view, schema)} AS t`,
      );
      out.push(`${view}:${String(row.n)}:${String(row.digest)}`);
    }
    return out;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'crm-demo-'));
    warehouse = new DuckDbWarehouse({ path: join(dir, 'demo.duckdb'), catalog: CATALOG, idleCloseMs: 0 });
    emptyBefore = await hasDemoData(warehouse, CATALOG, SOURCE);
    first = await seedDemo({
      warehouse,
      catalog: CATALOG,
      sourceSchema: SOURCE,
      scale: 'small',
      endDate: D,
      onProgress: (p) => progress.push(p),
    });
  });

  afterAll(async () => {
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('reports what it wrote, and hasDemoData sees it', async () => {
    expect(emptyBefore).toBe(false);
    expect(await hasDemoData(warehouse, CATALOG, SOURCE)).toBe(true);
    expect(first).toMatchObject({ scale: 'small', seed: 42, days: 120, endDate: D, startDate: '2026-08-02' });
    expect(first.rows.vw_crm_verification).toBeGreaterThan(2000);
    expect(first.rows.vw_crm_verification_question).toBeGreaterThan(40_000);
    expect(first.rows.vw_crm_action).toBeGreaterThan(500);
    for (const view of SOURCE_VIEWS) expect(await num(`SELECT COUNT(*) FROM ${src(view)}`)).toBe(first.rows[view]);
    // No staging table is left behind.
    expect(await num(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '${SOURCE}'`)).toBe(3);
  });

  test('calls back progress: create, every month, publish', () => {
    const generate = progress.filter((p) => p.step === 'generate');
    expect(progress[0]).toMatchObject({ step: 'create', done: 0 });
    expect(progress.at(-1)).toMatchObject({ step: 'publish', done: 1, total: 1 });
    expect(generate.map((p) => p.done)).toEqual([...Array(generate.length).keys()]);
    expect(generate.at(-1)).toMatchObject({ done: 4, total: 4, month: '2026-11' }); // Aug..Nov 2026
  });

  test('same seed gives identical rows, another seed different ones', async () => {
    const before = await checksums();
    await seedDemo({ warehouse, catalog: CATALOG, sourceSchema: SOURCE, scale: 'small', endDate: D });
    expect(await checksums()).toEqual(before);
    await seedDemo({ warehouse, catalog: CATALOG, sourceSchema: 'other_seed', scale: 'small', endDate: D, seed: 7 });
    const other = await checksums('other_seed');
    for (const [i, c] of other.entries()) expect(c).not.toEqual(before[i]);
  });

  test('shape: organizations, locations, lighter weekends, ids in date order, nothing after D', async () => {
    const v = await one(
      `SELECT COUNT(DISTINCT ORGANIZATION_ID) AS orgs, COUNT(DISTINCT LOCATION_ID) AS locs,
              COUNT(*) FILTER (WHERE isodow(VERIFICATION_DATE) = 7) AS sundays,
              COUNT(*) FILTER (WHERE isodow(VERIFICATION_DATE) = 3) AS wednesdays,
              MAX(VERIFICATION_DATE) AS last
         FROM ${src('vw_crm_verification')}`,
    );
    expect(Number(v.orgs)).toBeGreaterThanOrEqual(3);
    expect(Number(v.locs)).toBeGreaterThanOrEqual(20);
    expect(Number(v.sundays)).toBeLessThan(Number(v.wednesdays) * 0.2);
    expect((v.last as Date).toISOString().slice(0, 10)).toBe(D);
    const outOfOrder = await num(
      `SELECT COUNT(*) FROM (SELECT VERIFICATION_DATE < LAG(VERIFICATION_DATE) OVER (ORDER BY VERIFICATION_ID) AS back
         FROM ${src('vw_crm_verification')} WHERE VERIFICATION_DATE IS NOT NULL) WHERE back`,
    );
    expect(outOfOrder).toBe(0);
    const a = await one(
      `SELECT MAX(CREATED_AT) AS created, MAX(CLOSED_AT) AS closed, COUNT(*) FILTER (WHERE CLOSED_AT < CREATED_AT) AS backwards FROM ${src('vw_crm_action')}`,
    );
    expect((a.created as Date).toISOString() < `${D}T23:59:59.999Z`).toBe(true);
    expect((a.closed as Date).toISOString() < `${D}T23:59:59.999Z`).toBe(true);
    expect(Number(a.backwards)).toBe(0);
  });

  test('answers: mostly conforming, ~20% critical controls, some unanswered', async () => {
    const q = await one(
      `SELECT AVG(CASE WHEN IS_CRITICAL_CONTROL THEN 1.0 ELSE 0 END) AS critical,
              AVG(CASE WHEN IS_NON_CONFORMING THEN 0.0 WHEN NOT IS_NON_CONFORMING THEN 1.0 END) AS conforming,
              COUNT(*) - COUNT(IS_NON_CONFORMING) AS unanswered
         FROM ${src('vw_crm_verification_question')}`,
    );
    expect(Number(q.critical)).toBeGreaterThan(0.15);
    expect(Number(q.critical)).toBeLessThan(0.25);
    expect(Number(q.conforming)).toBeGreaterThan(0.92);
    expect(Number(q.conforming)).toBeLessThan(0.97);
    expect(Number(q.unanswered)).toBeGreaterThan(0);
  });

  test('edge cases of the data contract are present', async () => {
    const repeats = (view: string): Promise<number> =>
      num(`SELECT COUNT(*) - (SELECT COUNT(*) FROM (SELECT DISTINCT * FROM ${src(view)})) FROM ${src(view)}`);
    for (const view of SOURCE_VIEWS) expect(await repeats(view), `${view} exact repeats`).toBeGreaterThan(0);
    expect(await num(`SELECT COUNT(*) FROM ${src('vw_crm_verification')} WHERE VERIFICATION_DATE IS NULL`)).toBeGreaterThan(0);
    const conflicting = await num(
      `SELECT COUNT(*) FROM (SELECT VERIFICATION_ID, QUESTION_ID FROM ${src('vw_crm_verification_question')}
         GROUP BY ALL HAVING COUNT(DISTINCT COALESCE(CAST(IS_NON_CONFORMING AS INT), -1)) > 1)`,
    );
    expect(conflicting).toBeGreaterThan(0);
    const orphans = await num(
      `SELECT COUNT(DISTINCT q.VERIFICATION_ID) FROM ${src('vw_crm_verification_question')} AS q
        WHERE NOT EXISTS (SELECT 1 FROM ${src('vw_crm_verification')} AS v WHERE v.VERIFICATION_ID = q.VERIFICATION_ID)`,
    );
    expect(orphans).toBeGreaterThan(0);
    const a = await one(
      `SELECT COUNT(DISTINCT STATUS) AS statuses,
              COUNT(*) FILTER (WHERE STATUS IN ('CONCLUIDA', 'CANCELADA') AND CLOSED_AT IS NULL) AS closed_without_closed_at,
              COUNT(*) FILTER (WHERE STATUS IN ('CONCLUIDA', 'CANCELADA') AND CLOSED_AT IS NOT NULL) AS closed,
              COUNT(*) FILTER (WHERE DUE_DATE IS NULL) AS no_due,
              COUNT(*) FILTER (WHERE VERIFICATION_ID IS NULL) AS no_verification,
              COUNT(*) FILTER (WHERE STATUS IN ('ABERTA', 'EM_ANDAMENTO') AND DUE_DATE < DATE '${D}') AS overdue
         FROM ${src('vw_crm_action')}`,
    );
    expect(Number(a.statuses)).toBe(4);
    for (const k of ['closed_without_closed_at', 'closed', 'no_due', 'no_verification', 'overdue'])
      expect(Number(a[k]), k).toBeGreaterThan(0);
  });

  test('the daily refresh for D finds every priority category, validation the anomaly among the rows it read, the source audit every anomaly', async () => {
    const settings = {
      catalog: CATALOG,
      schema: 'materialized',
      sourceCatalog: CATALOG,
      sourceSchema: SOURCE,
      vacuumRetainHours: 168,
      optimizeAfterRefresh: false,
    };
    const sql = new SqlBuilder(settings, duckdbDialect);
    const ctx: TaskContext = { warehouse, sql, log: createLogger('silent') };
    for (const s of sql.init()) await warehouse.execute(s);
    // The priorities are counted from the snapshot: refresh in the registry's refresh order.
    for (const table of refreshOrder(TABLE_NAMES)) await refreshTable(ctx, table, refreshRange(table, D, 7));
    const categories = await warehouse.query({
      sql: `SELECT ordem, prioridade, SUM(total_acoes) AS n FROM ${sql.table('crm_action_priorities_daily')} WHERE data_referencia = DATE '${D}' GROUP BY ALL ORDER BY ordem`,
    });
    expect(categories.map((r) => r.prioridade)).toEqual([
      'Vencidas',
      'S=0',
      'S=1',
      'S=2',
      'S=3',
      'S=4',
      'Posterior a S=4',
      'Sem vencimento',
    ]);
    expect(await num(`SELECT COUNT(DISTINCT data_referencia) FROM ${sql.table('crm_metrics_daily')}`)).toBeGreaterThanOrEqual(6);
    const report = await validate(ctx, D, TABLE_NAMES, 7);
    expect(report.checksPassed).toBe(true);
    expect(report.anomalies?.acoes_fechadas_sem_closed_at).toBeGreaterThan(0);
    const audit = await runSourceAudit(ctx);
    expect(audit.anomalies.acoes_fechadas_sem_closed_at).toBeGreaterThanOrEqual(report.anomalies?.acoes_fechadas_sem_closed_at ?? Infinity);
    expect(audit.anomalies.verificacoes_sem_data).toBeGreaterThan(0);
    expect(audit.anomalies.perguntas_sem_verificacao).toBeGreaterThan(0);
  });
});
