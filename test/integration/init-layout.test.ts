/**
 * `init` on tables that already exist (real CLI children, real DuckDB): it
 * says which tables it found and how their rows are laid out, prints the
 * documented migration of an old layout, and rewrites nothing.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { runCli } from '../support/cli.js';
import { createFixture, ENV_BASE, type Fixture } from '../support/duckdb-fixture.js';
import { DUCKDB_DEFAULT_ROW_GROUP_SIZE, DuckDbWarehouse } from '../../src/warehouse/duckdb.js';

const S = 'hs_franquia.gold_connect_bot';
const METRICS_MIGRATION = `CREATE OR REPLACE TABLE ${S}.crm_metrics_daily AS SELECT * FROM ${S}.crm_metrics_daily ORDER BY data_referencia, organization_id, location_id;`;
const MIGRATION = `CREATE OR REPLACE TABLE ${S}.crm_actions_open_snapshot AS SELECT * FROM ${S}.crm_actions_open_snapshot ORDER BY data_snapshot, organization_id, location_id;`;

describe('init reports the layout it found (DuckDB)', () => {
  let f: Fixture;
  let env: Record<string, string>;
  beforeEach(async () => {
    f = await createFixture();
    env = { ...ENV_BASE, DUCKDB_PATH: f.path, LOG_LEVEL: 'warn' };
    const [schema, metrics, , snapshot] = f.sql.init();
    for (const s of [schema, metrics, snapshot]) if (s) await f.warehouse.execute(s);
    // The snapshot written the old way: one date's rows in an order unrelated to (organization, location).
    await f.warehouse.execute({
      sql: `INSERT INTO ${S}.crm_actions_open_snapshot SELECT DATE '2026-11-29', 'A' || i::VARCHAR, 'O' || (i % 3)::VARCHAR, 'L' || (i % 7)::VARCHAR, NULL, NULL, NULL, 'ABERTA', NULL, 'Sem vencimento', NULL, TIMESTAMP '2026-11-01', TIMESTAMP '2026-11-29 06:00:00' FROM range(40) t(i)`,
    });
    // The metrics written in order (as the refresh writes them now).
    await f.warehouse.execute({
      sql: `INSERT INTO ${S}.crm_metrics_daily SELECT DATE '2026-11-29', 'O' || (i // 7)::VARCHAR, 'L' || (i % 7)::VARCHAR, 1, 0, 1, 0, 0, 0, TIMESTAMP '2026-11-29 06:00:00' FROM range(21) t(i)`,
    });
    await f.warehouse.close();
  });
  afterEach(() => f.cleanup());

  const order = async (): Promise<string[]> =>
    (await f.rows(`SELECT action_id FROM ${S}.crm_actions_open_snapshot ORDER BY rowid`)).map((r) => String(r.action_id));

  test('an old table: says so and prints the statement, without running it; a new one is clustered; a missing one is created', async () => {
    const before = await order();
    await f.warehouse.close();
    const r = await runCli(['init'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /crm_actions_open_snapshot: exists, old layout: \d+ of 40 rows out of \(data_snapshot, organization_id, location_id\) order/,
    );
    expect(r.stdout).toContain('init rewrites nothing');
    expect(r.stdout).toContain(MIGRATION);
    expect(r.stdout).toContain('crm_metrics_daily: exists, clustered: 21 rows in (data_referencia, organization_id, location_id) order');
    expect(r.stdout).toContain('crm_action_priorities_daily: created');
    expect(await order()).toEqual(before); // nothing rewritten
    await f.warehouse.close();

    // The printed statement moves it; init then reports it clustered, and prints no statement.
    await f.warehouse.execute({ sql: MIGRATION.replace(/;$/, '') });
    await f.warehouse.close();
    const again = await runCli(['init'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(
      'crm_actions_open_snapshot: exists, clustered: 40 rows in (data_snapshot, organization_id, location_id) order',
    );
    expect(again.stdout).toContain('crm_action_priorities_daily: exists, clustered: empty');
    expect(again.stdout).not.toContain('CREATE OR REPLACE');
  });

  test("rows in order but in row groups of DuckDB's default size (a file written before): old layout, and the same statement moves it", async () => {
    // Written by a process of the version before: DuckDB's default row groups, in order.
    const old = new DuckDbWarehouse({
      path: f.path,
      catalog: f.config.catalog,
      idleCloseMs: 0,
      rowGroupSize: DUCKDB_DEFAULT_ROW_GROUP_SIZE,
    });
    await old.execute({
      sql: `INSERT INTO ${S}.crm_metrics_daily SELECT DATE '2026-11-30', 'O' || lpad((i // 100)::VARCHAR, 2, '0'), 'L' || lpad(i::VARCHAR, 4, '0'), 1, 0, 1, 0, 0, 0, TIMESTAMP '2026-11-30 06:00:00' FROM range(5000) t(i)`,
    });
    await old.close();
    const r = await runCli(['init'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/crm_metrics_daily: exists, old layout: \d+ rows stored in row groups of more than 2048 rows/);
    expect(r.stdout).not.toMatch(/crm_metrics_daily: exists, old layout: \d+ of \d+ rows out of/); // the order is right
    expect(r.stdout).toContain(METRICS_MIGRATION);

    await f.warehouse.execute({ sql: METRICS_MIGRATION.replace(/;$/, '') });
    await f.warehouse.close();
    const again = await runCli(['init'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(
      'crm_metrics_daily: exists, clustered: 5021 rows in (data_referencia, organization_id, location_id) order, in row groups of at most 2048',
    );
  });
});
