/**
 * Every statement the Databricks dialect renders parses as Spark SQL, with a
 * real parser (dt-sql-parser's SparkSQL grammar, generated from Spark's ANTLR
 * grammar).
 *
 * Two known gaps of that grammar, handled explicitly rather than skipped:
 * - it accepts only two-part names as the target of INSERT/DELETE/CREATE
 *   TABLE (Unity Catalog uses three), so the catalog prefix is dropped from
 *   those targets before parsing; names in FROM clauses keep all three parts;
 * - VACUUM and OPTIMIZE are Delta Lake commands, absent from Spark's grammar:
 *   they are matched against Delta's documented syntax instead;
 * - CREATE TABLE's `CLUSTER BY (cols)` (liquid clustering) is absent from it
 *   too: the clause is matched against Delta's syntax, and the statement
 *   without it is parsed;
 * - `DROP TEMPORARY TABLE` (Databricks SQL's session-scoped tables, which hold
 *   the actions a refresh reads once) is absent from it: matched against
 *   Databricks' documented syntax (the CREATE TEMPORARY TABLE … AS is parsed).
 */
import { SparkSQL } from 'dt-sql-parser';
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { planStatements } from '../../src/tables/plan.js';
import { SqlBuilder } from '../../src/tables/statements.js';
import { databricksDialect } from '../../src/warehouse/dialect.js';
import { parseIsoDate } from '../../src/dates.js';

const config = loadConfig({ OPTIMIZE_AFTER_REFRESH: 'true' });
const sql = new SqlBuilder(config, databricksDialect);
const steps = planStatements(sql, config, parseIsoDate('2026-11-29'));
const statements = steps.flatMap((s) => s.statements.map((st, i) => ({ name: `${s.title} #${i + 1}`, sql: st.sql })));
const parser = new SparkSQL();
const TARGET = /^(\s*(?:--[^\n]*\n\s*)*(?:INSERT INTO|DELETE FROM|CREATE TABLE IF NOT EXISTS)\s+)hs_franquia\.(gold_connect_bot\.\w+)/;
const CLUSTER_BY = / CLUSTER BY \((\w+(?:, \w+)*)\)$/;
const DELTA =
  /^(VACUUM hs_franquia\.gold_connect_bot\.\w+ RETAIN \d+ HOURS|OPTIMIZE hs_franquia\.gold_connect_bot\.\w+|DROP TEMPORARY TABLE IF EXISTS \w+)$/;

describe('Databricks SQL', () => {
  test('covers every kind of statement a run issues', () => {
    const text = statements.map((s) => s.sql).join('\n');
    for (const kind of [
      'CREATE SCHEMA',
      'CREATE TABLE',
      'REPLACE WHERE',
      'DELETE FROM',
      'VACUUM',
      'OPTIMIZE',
      'USING DELTA CLUSTER BY',
      'CREATE TEMPORARY TABLE',
    ])
      expect(text).toContain(kind);
  });

  test.each(statements)('$name parses', ({ sql: text }) => {
    if (/^(VACUUM|OPTIMIZE|DROP TEMPORARY TABLE)\b/.test(text)) {
      expect(text).toMatch(DELTA);
      return;
    }
    const errors = parser.validate(text.replace(TARGET, '$1$2').replace(CLUSTER_BY, ''));
    expect(errors.map((e) => `${e.startLine}:${e.startColumn} ${e.message}`)).toEqual([]);
  });

  test('every table is created with liquid clustering on (date, organization_id, location_id)', () => {
    const creates = statements.filter((s) => s.sql.includes('CREATE TABLE'));
    expect(creates).toHaveLength(3);
    for (const c of creates)
      expect(c.sql).toMatch(/USING DELTA CLUSTER BY \((data_referencia|data_snapshot), organization_id, location_id\)$/);
  });

  test('the parser does reject broken SQL (the test can fail)', () => {
    expect(parser.validate('INSERT INTO gold_connect_bot.t REPLACE WHERE SELECT FROM').length).toBeGreaterThan(0);
  });
});
