import { describe, expect, test } from 'vitest';
import { addDays, asIsoDate, dateInZone, daysBetween, parseIsoDate } from '../../src/dates.js';
import { UsageError } from '../../src/errors.js';
import { TABLES } from '../../src/tables/registry.js';
import { tableStatus } from '../../src/tasks/status.js';
import { databricksDialect, duckdbDialect } from '../../src/warehouse/dialect.js';
import { sqlDate } from '../../src/warehouse/types.js';
import { formatInstant, isoInstant } from '../../src/text-table.js';

describe('dates', () => {
  test.each(['2026-02-30', 'tomorrow', '2026-1-01', '2026-13-01', ''])('%s is refused', (s) => {
    expect(() => parseIsoDate(s, '--date')).toThrow(UsageError);
  });
  test('arithmetic across month, year and leap day', () => {
    expect(addDays(parseIsoDate('2026-12-31'), 1)).toBe('2027-01-01');
    expect(addDays(parseIsoDate('2028-03-01'), -1)).toBe('2028-02-29');
    expect(daysBetween(parseIsoDate('2026-11-23'), parseIsoDate('2026-11-29'))).toBe(6);
  });
  test('today in the schedule zone differs from UTC late in the evening', () => {
    const instant = new Date('2026-11-30T01:30:00Z'); // 22:30 on the 29th in São Paulo
    expect(dateInZone(instant, 'America/Sao_Paulo')).toBe('2026-11-29');
    expect(dateInZone(instant, 'UTC')).toBe('2026-11-30');
  });
  test('instants print in the schedule zone with their offset (text and JSON)', () => {
    const instant = new Date('2027-01-01T02:30:00Z'); // the year's last evening in São Paulo
    expect(formatInstant(instant, 'America/Sao_Paulo')).toBe('2026-12-31 23:30:00 -03:00');
    expect(isoInstant(instant, 'America/Sao_Paulo')).toBe('2026-12-31T23:30:00-03:00');
    expect(new Date(isoInstant(instant, 'America/Sao_Paulo')).getTime()).toBe(instant.getTime());
    expect(isoInstant(instant, 'UTC')).toBe('2027-01-01T02:30:00+00:00');
  });
});

describe('table status', () => {
  const now = new Date('2026-11-29T12:00:00Z');
  const fresh = new Date('2026-11-29T09:00:00Z');
  test.each([
    ['crm_metrics_daily', 10, '2026-11-29', fresh, 'ok'],
    ['crm_metrics_daily', 10, '2026-11-27', fresh, 'warning'],
    ['crm_metrics_daily', 10, '2026-11-20', fresh, 'warning'],
    ['crm_action_priorities_daily', 10, '2026-11-27', fresh, 'warning'],
    ['crm_action_priorities_daily', 10, '2026-11-26', fresh, 'critical'],
    ['crm_actions_open_snapshot', 10, '2026-11-26', fresh, 'critical'],
    ['crm_actions_open_snapshot', 0, null, null, 'critical'],
    ['crm_actions_open_snapshot', 10, '2026-11-29', new Date('2026-11-27T11:00:00Z'), 'critical'],
    ['crm_actions_open_snapshot', 10, '2026-11-29', new Date('2026-11-27T13:00:00Z'), 'ok'],
  ] as const)('%s with %i rows, newest %s → %s', (table, registros, ultimaData, ultimaAtualizacao, expected) => {
    expect(
      tableStatus(TABLES[table], { registros, ultimaData: asIsoDate(ultimaData), ultimaAtualizacao }, parseIsoDate('2026-11-29'), now)
        .status,
    ).toBe(expected);
  });
});

describe('dialect', () => {
  const params = { d: sqlDate(parseIsoDate('2026-11-29')), unused: 1 };
  test('binds :name markers, keeps only used parameters, leaves strings, comments and :: casts alone', () => {
    const text = "SELECT ':d' AS s, x::DATE, :d AS d -- :d\nFROM t WHERE a = :d";
    expect(duckdbDialect.bind(text, params)).toEqual({
      sql: "SELECT ':d' AS s, x::DATE, $d AS d -- :d\nFROM t WHERE a = $d",
      params: { d: params.d },
    });
    expect(databricksDialect.bind(text, params).sql).toBe(text);
  });
  test('a marker without a value is a wiring error', () => {
    expect(() => duckdbDialect.bind('SELECT :missing', {})).toThrow(':missing has no value');
  });
  test('atomic replace: one Delta statement, or delete + insert for a DuckDB transaction', () => {
    expect(databricksDialect.replaceWhere('a.b.t', 'd = :d', 'SELECT 1', ['d', 'o'])).toEqual([
      'INSERT INTO a.b.t REPLACE WHERE d = :d\nSELECT 1',
    ]);
    expect(duckdbDialect.replaceWhere('a.b.t', 'd = :d', 'SELECT 1', ['d', 'o'])).toEqual([
      'DELETE FROM a.b.t WHERE d = :d',
      'INSERT INTO a.b.t\nSELECT * FROM (\nSELECT 1\n) AS linhas\nORDER BY d, o',
    ]);
  });
  test('layout: Databricks clusters the tables (CLUSTER BY), DuckDB has no table option', () => {
    expect(databricksDialect.tableOptions(['d', 'o', 'l'])).toBe('USING DELTA CLUSTER BY (d, o, l)');
    expect(duckdbDialect.tableOptions(['d', 'o', 'l'])).toBe('');
  });
});
