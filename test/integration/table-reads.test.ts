/**
 * Rows the read API's statements read from the materialized tables, from
 * DuckDB's own profiler (rows each table scan read after skipping row groups
 * by their min-max statistics), on tables written by the real refresh. The
 * tables are written in row groups of TABLE_ROW_GROUP_SIZE rows; the same
 * reads on rows written in DuckDB's default row groups (a file written before)
 * read the whole day, which the tests show beside them.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { actionsQuery, metricsQuery } from '../../src/api/params.js';
import { ApiSql } from '../../src/api/statements.js';
import { addDays, parseIsoDate, type IsoDate } from '../../src/dates.js';
import type { TableName } from '../../src/tables/registry.js';
import { refreshTable } from '../../src/tasks/refresh.js';
import { duckdbDialect } from '../../src/warehouse/dialect.js';
import { DUCKDB_DEFAULT_ROW_GROUP_SIZE, DuckDbWarehouse, TABLE_ROW_GROUP_SIZE } from '../../src/warehouse/duckdb.js';
import type { StatementProfile } from '../../src/warehouse/duckdb-profile.js';
import type { Statement } from '../../src/warehouse/types.js';
import { createFixture, type Fixture } from '../support/duckdb-fixture.js';

const D = parseIsoDate('2026-11-29');
const S = 'hs_franquia.gold_connect_bot';
const LOCATIONS = 60;
/** Open actions per location: one day of the snapshot holds 18,000 rows, about nine row groups of 2048. */
const ACTIONS_PER_LOCATION = 300;

describe('rows the read API reads from the tables (DuckDB profiler)', () => {
  let f: Fixture;
  let api: ApiSql;
  let profiled: DuckDbWarehouse;
  let profiles: StatementProfile[];
  /** The same file, as a process that opened it before the tables were written in small row groups. */
  let before: DuckDbWarehouse;

  beforeEach(async () => {
    f = await createFixture();
    await f.setSources({});
    profiles = [];
    profiled = new DuckDbWarehouse({ path: f.path, catalog: f.config.catalog, idleCloseMs: 0, onProfile: (p) => profiles.push(p) });
    before = new DuckDbWarehouse({ path: f.path, catalog: f.config.catalog, idleCloseMs: 0, rowGroupSize: DUCKDB_DEFAULT_ROW_GROUP_SIZE });
    api = new ApiSql(f.config, duckdbDialect);
    for (const s of f.sql.init()) await f.warehouse.execute(s);
  });
  afterEach(async () => {
    await profiled.close();
    await before.close();
    await f.cleanup();
  });

  /** Rows the statement read from `table`, and its answer. */
  async function read(statement: Statement, table: TableName): Promise<{ rows: number; answer: number }> {
    profiles = [];
    const answer = await profiled.query(statement);
    const rows = profiles.reduce((n, p) => n + (p.rowsScanned[`${S}.${table}`] ?? 0), 0);
    return { rows, answer: answer.length };
  }

  const refresh = (warehouse: DuckDbWarehouse, table: TableName, from: IsoDate, to: IsoDate) =>
    refreshTable({ ...f.ctx, warehouse }, table, { from, to });

  async function openActions(): Promise<void> {
    // Ids interleave the locations (ten per organization), so the refresh's ORDER BY is what clusters them.
    await f.warehouse.execute({
      sql: `INSERT INTO ${S}.vw_crm_action
            SELECT 'A' || lpad(i::VARCHAR, 6, '0'), 'O' || ((i % ${LOCATIONS}) // 10)::VARCHAR, 'L' || lpad((i % ${LOCATIONS})::VARCHAR, 2, '0'),
                   NULL, 'R' || (i % 5)::VARCHAR, 'T', 'ABERTA', DATE '2026-11-01' + (i % 60)::INTEGER, TIMESTAMP '2026-10-01', NULL
            FROM range(${LOCATIONS * ACTIONS_PER_LOCATION}) t(i)`,
    });
  }

  /** Both snapshot tables for `date`, then the file released: its checkpoint writes the rows into their row groups, as in service. */
  async function snapshots(warehouse: DuckDbWarehouse, date: IsoDate): Promise<void> {
    await refresh(warehouse, 'crm_actions_open_snapshot', date, date);
    await refresh(warehouse, 'crm_action_priorities_daily', date, date);
    await warehouse.close();
  }

  test("a location's first page of open actions reads that location's row groups, not the day", async () => {
    await openActions();
    await f.warehouse.close();
    await snapshots(f.warehouse, addDays(D, -1));
    await snapshots(f.warehouse, D);
    const day = LOCATIONS * ACTIONS_PER_LOCATION;

    const page = await read(api.actions(actionsQuery({ location_id: 'L17' }), D, undefined), 'crm_actions_open_snapshot');
    expect(page.answer).toBe(51); // the page and one more row
    expect(page.rows).toBeGreaterThanOrEqual(ACTIONS_PER_LOCATION);
    expect(page.rows).toBeLessThanOrEqual(day / 4); // two row groups of 2048 at most

    // Without a date: the newest day from the top of the date order, then the same page.
    const newest = await read(api.actions(actionsQuery({ location_id: 'L17' }), null, undefined), 'crm_actions_open_snapshot');
    expect(newest.answer).toBe(51);
    expect(newest.rows).toBeLessThanOrEqual(day / 2);
  });

  test('a table written in the old row groups: the days written from now on are read by location, the old ones whole', async () => {
    await openActions();
    const old = addDays(D, -1);
    // One instance per file, its options chosen by the warehouse that opens it: released between the two.
    await f.warehouse.close();
    await snapshots(before, old);
    await snapshots(f.warehouse, D);
    const day = LOCATIONS * ACTIONS_PER_LOCATION;

    const oldPage = await read(api.actions(actionsQuery({ location_id: 'L17' }), old, undefined), 'crm_actions_open_snapshot');
    expect(oldPage.answer).toBe(51);
    expect(oldPage.rows).toBeGreaterThanOrEqual(day); // one row group holds the whole day

    const page = await read(api.actions(actionsQuery({ location_id: 'L17' }), D, undefined), 'crm_actions_open_snapshot');
    expect(page.answer).toBe(51);
    expect(page.rows).toBeLessThanOrEqual(day / 4);

    // The row groups themselves: the old day's one large group, D's of at most TABLE_ROW_GROUP_SIZE rows.
    const groups = await f.rows(
      `SELECT row_group_id, MAX(count) AS linhas FROM pragma_storage_info('${S}.crm_actions_open_snapshot')
       WHERE column_name = 'data_snapshot' GROUP BY row_group_id ORDER BY row_group_id`,
    );
    expect(Number(groups[0]?.linhas)).toBe(day);
    expect(groups.slice(1).every((g) => Number(g.linhas) <= TABLE_ROW_GROUP_SIZE)).toBe(true);
  });

  test("one organization's month of metrics reads the month's row groups; the newest day without a date, that day's", async () => {
    // 240 days x 100 locations (25 per organization), one verification each: 24,000 metrics rows.
    await f.warehouse.execute({
      sql: `INSERT INTO ${S}.vw_crm_verification
            SELECT 'V' || i::VARCHAR, 'O' || ((i % 100) // 25)::VARCHAR, 'L' || lpad((i % 100)::VARCHAR, 3, '0'),
                   TIMESTAMP '${D} 08:00:00' - INTERVAL (i // 100) DAY
            FROM range(24000) t(i)`,
    });
    await refresh(f.warehouse, 'crm_metrics_daily', addDays(D, -239), D);
    await f.warehouse.close();
    const [all] = await f.rows(`SELECT COUNT(*) AS n FROM ${S}.crm_metrics_daily`);
    expect(Number(all?.n)).toBe(24000);

    const from = addDays(D, -6);
    const week = await read(api.metrics(metricsQuery({ from, to: D, organization_id: 'O2' })), 'crm_metrics_daily');
    expect(week.answer).toBe(7 * 25);
    expect(week.rows).toBeLessThanOrEqual(Number(all?.n) / 8); // the week's one or two row groups

    const newest = await read(api.metrics(metricsQuery({})), 'crm_metrics_daily');
    expect(newest.answer).toBe(100);
    expect(newest.rows).toBeLessThanOrEqual(Number(all?.n) / 4);

    // From a day only: the range runs to the newest day.
    const fromOnly = await read(api.metrics(metricsQuery({ from, location_id: 'L002' })), 'crm_metrics_daily');
    expect(fromOnly.answer).toBe(7);
    expect(fromOnly.rows).toBeLessThanOrEqual(Number(all?.n) / 4);
  });
});
