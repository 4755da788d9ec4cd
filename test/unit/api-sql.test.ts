/**
 * The read API's statements: the Databricks rendering parses as Spark SQL
 * (the grammar of test/unit/spark-sql.test.ts), and both dialects bind every
 * value, repeated markers and NULLs of the optional filters included.
 */
import { SparkSQL } from 'dt-sql-parser';
import { describe, expect, test } from 'vitest';
import { actionsQuery, metricsQuery, prioritiesQuery } from '../../src/api/params.js';
import { ApiSql } from '../../src/api/statements.js';
import { loadConfig } from '../../src/config/index.js';
import { databricksDialect, duckdbDialect } from '../../src/warehouse/dialect.js';
import type { Statement } from '../../src/warehouse/types.js';
import { parseIsoDate } from '../../src/dates.js';

const config = loadConfig({});
const after = { date: parseIsoDate('2026-11-29'), ordem: 0, atraso: 9, actionId: 'A1' };

function statements(sql: ApiSql): [name: string, Statement][] {
  const unfiltered = actionsQuery({});
  const filtered = actionsQuery({
    organization_id: 'O1',
    location_id: 'L1',
    responsavel: 'Fábio Nunes',
    prioridade: 'Posterior a S=4',
    page_size: '500',
  });
  return [
    ['metrics, defaults', sql.metrics(metricsQuery({}))],
    [
      'metrics, range and filters',
      sql.metrics(metricsQuery({ from: '2026-11-01', to: '2026-11-29', organization_id: 'O1', location_id: 'L1' })),
    ],
    ['priorities, defaults', sql.priorities(prioritiesQuery({}))],
    ['priorities, date and filters', sql.priorities(prioritiesQuery({ date: '2026-11-29', organization_id: 'O1' }))],
    ['actions, first page', sql.actions(unfiltered, null, undefined)],
    ['actions, next page with filters', sql.actions(filtered, parseIsoDate('2026-11-29'), after)],
  ];
}

const parser = new SparkSQL();
/** The SQL without its comments (which name the parameters in prose). */
const code = (sql: string): string => sql.replace(/--[^\n]*/g, '');

describe('read API SQL', () => {
  test.each(statements(new ApiSql(config, databricksDialect)))('Databricks: %s parses as Spark SQL, values as :markers', (_name, st) => {
    expect(parser.validate(st.sql).map((e) => `${e.startLine}:${e.startColumn} ${e.message}`)).toEqual([]);
    expect(st.sql).not.toMatch(/\$\w/);
    for (const name of Object.keys(st.params ?? {})) expect(code(st.sql)).toContain(`:${name}`);
  });

  test.each(statements(new ApiSql(config, duckdbDialect)))('DuckDB: %s binds every marker as $name', (_name, st) => {
    const markers = new Set([...code(st.sql).matchAll(/\$([a-z_]+)/g)].map((m) => m[1]));
    expect([...markers].sort()).toEqual(Object.keys(st.params ?? {}).sort());
    expect(code(st.sql)).not.toMatch(/(?<!:):[a-z_]+/);
  });

  test('values never enter the SQL text; optional filters are bound as NULL', () => {
    const sql = new ApiSql(config, databricksDialect);
    const st = sql.actions(actionsQuery({ organization_id: 'O1', responsavel: "x' OR 1=1 --" }), null, undefined);
    expect(st.sql).not.toContain('OR 1=1');
    expect(st.params).toMatchObject({
      org: 'O1',
      loc: null,
      responsavel: "x' OR 1=1 --",
      prioridade: null,
      after_ordem: null,
      ref_date: null,
      fetch_rows: 51,
    });
    expect(code(st.sql).match(/:org\b/g)).toHaveLength(2);
  });

  test('the parser does reject broken SQL (the test can fail)', () => {
    expect(parser.validate('SELECT a FROM t WHERE (:org IS NULL OR').length).toBeGreaterThan(0);
  });
});
