/** Layout for the dashboard's reads on DuckDB: within D, one location's rows are contiguous. */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { TABLE_NAMES, TABLES } from '../../src/tables/registry.js';
import { runInline } from '../../src/tasks/run-inline.js';
import { createFixture, type Fixture } from '../support/duckdb-fixture.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
const S = 'hs_franquia.gold_connect_bot';

describe('table layout (DuckDB)', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await createFixture();
    await f.setSources({});
    // Sources in an order unrelated to organization/location (ids interleave them).
    await f.warehouse.execute({
      sql: `INSERT INTO ${S}.vw_crm_verification SELECT 'V' || i::VARCHAR, 'O' || (i % 3)::VARCHAR, 'L' || (i % 7)::VARCHAR, TIMESTAMP '2026-11-29 08:00:00' - INTERVAL (i % 5) DAY FROM range(500) t(i)`,
    });
    await f.warehouse.execute({
      sql: `INSERT INTO ${S}.vw_crm_verification_question SELECT 'V' || i::VARCHAR, 'Q1', true, i % 2 = 0 FROM range(500) t(i)`,
    });
    await f.warehouse.execute({
      sql: `INSERT INTO ${S}.vw_crm_action SELECT 'A' || i::VARCHAR, 'O' || (i % 3)::VARCHAR, 'L' || (i % 7)::VARCHAR, NULL, NULL, NULL, 'ABERTA', DATE '2026-11-20' + (i % 20)::INTEGER, TIMESTAMP '2026-11-01', NULL FROM range(3000) t(i)`,
    });
  });
  afterEach(() => f.cleanup());

  test.each(TABLE_NAMES)('%s: the rows of one (organization, location) on D are contiguous, in order', async (table) => {
    await runInline(f.ctx, f.config, { date: D, tables: TABLE_NAMES, tasks: ['refresh'] });
    const date = TABLES[table].dateColumn;
    // Runs of equal (organization, location) in storage order (rowid): one run per location means contiguous.
    const [r] = await f.rows(`
      SELECT COUNT(*) FILTER (WHERE inicio) AS trechos, COUNT(DISTINCT (organization_id, location_id)) AS locais,
             bool_and(ordenado) AS ordenado
      FROM (
        SELECT organization_id, location_id,
               (organization_id, location_id) IS DISTINCT FROM LAG((organization_id, location_id)) OVER (ORDER BY rowid) AS inicio,
               COALESCE((organization_id, location_id) >= LAG((organization_id, location_id)) OVER (ORDER BY rowid), TRUE) AS ordenado
        FROM ${S}.${table} WHERE ${date} = DATE '${D}'
      )`);
    expect(Number(r?.locais)).toBe(21);
    expect(Number(r?.trechos)).toBe(Number(r?.locais));
    expect(r?.ordenado).toBe(true);
  });
});
