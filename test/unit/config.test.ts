import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { configProblems } from '../support/config.js';

const problems = configProblems;

describe('config', () => {
  test('defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      warehouse: 'duckdb',
      duckdbPath: './data/crm.duckdb',
      catalog: 'hs_franquia',
      schema: 'gold_connect_bot',
      sourceCatalog: 'hs_franquia',
      sourceSchema: 'gold_connect_bot',
      scheduleTz: 'America/Sao_Paulo',
      refreshWindowDays: 7,
      retentionDays: { crm_metrics_daily: 90, crm_action_priorities_daily: 90, crm_actions_open_snapshot: 90 },
      vacuumRetainHours: 168,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  test('source schema and per-table retention overrides', () => {
    const c = loadConfig({ CRM_SOURCE_SCHEMA: 'silver', RETENTION_DAYS: '30', RETENTION_DAYS_CRM_ACTIONS_OPEN_SNAPSHOT: '7' });
    expect(c.sourceSchema).toBe('silver');
    expect(c.retentionDays).toEqual({ crm_metrics_daily: 30, crm_action_priorities_daily: 30, crm_actions_open_snapshot: 7 });
  });

  test.each([
    [{ REFRESH_WINDOW_DAYS: '0' }, "REFRESH_WINDOW_DAYS='0' must be a whole number from 1 to 366"],
    [{ REFRESH_WINDOW_DAYS: '367' }, "REFRESH_WINDOW_DAYS='367' must be a whole number from 1 to 366"],
    [{ RETENTION_DAYS: '5' }, "RETENTION_DAYS=5 is below crm_metrics_daily's refresh window of 7 days"],
    [{ RETENTION_DAYS_CRM_METRICS_DAILY: '3' }, 'RETENTION_DAYS_CRM_METRICS_DAILY=3 is below'],
    [{ CRM_SCHEMA: 'x;drop table y' }, "CRM_SCHEMA='x;drop table y' must be an identifier"],
    [{ WAREHOUSE: 'oracle' }, "WAREHOUSE='oracle' must be one of duckdb | databricks"],
    [{ SCHEDULE_TZ: 'Mars/Olympus' }, "SCHEDULE_TZ='Mars/Olympus' must be an IANA time zone"],
    [{ CRM_SOURCE_CATALOG: 'other' }, "CRM_SOURCE_CATALOG='other' must equal CRM_CATALOG='hs_franquia' with WAREHOUSE=duckdb"],
    [{ VACUUM_RETAIN_HOURS: '0' }, 'VACUUM_RETAIN_HOURS=0 is below 168 hours'],
    [{ WAREHOUSE: 'databricks' }, 'DATABRICKS_HOST is required'],
    [{ API_MAX_IN_FLIGHT: '-1' }, "API_MAX_IN_FLIGHT='-1' must be a whole number from 0 to"],
  ])('%o is refused: %s', (env, message) => {
    expect(problems(env)).toContain(message);
  });

  test('every bad variable is listed, on one line', () => {
    const m = problems({ REFRESH_WINDOW_DAYS: 'x', CRM_CATALOG: '1a' });
    expect(m).toMatch(/REFRESH_WINDOW_DAYS.*; CRM_CATALOG|CRM_CATALOG.*; REFRESH_WINDOW_DAYS/);
    expect(m).not.toContain('\n');
  });

  test('the read API in-flight cap: 64 by default, 0 turns it off', () => {
    expect(loadConfig({}).api.maxInFlight).toBe(64);
    expect(loadConfig({ API_MAX_IN_FLIGHT: '0' }).api.maxInFlight).toBe(0);
  });

  test('the liveness listener: none by default, a port of its own, a bounded stall', () => {
    expect(loadConfig({}).healthPort).toBeUndefined();
    expect(loadConfig({}).healthMaxStallMs).toBe(20_000);
    expect(loadConfig({ HEALTH_PORT: '8081' }).healthPort).toBe(8081);
    expect(loadConfig({ HEALTH_PORT: '0', PORT: '0' }).healthPort).toBe(0);
    expect(problems({ HEALTH_PORT: '3000' })).toContain('HEALTH_PORT=3000 equals PORT: give the liveness listener a port of its own');
    expect(problems({ HEALTH_PORT: 'x' })).toContain("HEALTH_PORT='x'");
    expect(problems({ HEALTH_MAX_STALL_MS: '10' })).toContain("HEALTH_MAX_STALL_MS='10'");
  });

  test('short VACUUM retention only when explicitly allowed', () => {
    expect(loadConfig({ VACUUM_RETAIN_HOURS: '0', VACUUM_ALLOW_SHORT_RETENTION: 'true' }).vacuumRetainHours).toBe(0);
  });

  test('secrets are never echoed', () => {
    const m = problems({
      WAREHOUSE: 'databricks',
      DATABRICKS_HOST: 'h',
      DATABRICKS_HTTP_PATH: '/p',
      DATABRICKS_TOKEN: 's3cr3t-token',
      DATABRICKS_CLIENT_ID: 'id',
    });
    expect(m).toContain('choose one way to authenticate');
    expect(m).not.toContain('s3cr3t-token');
  });
});
