/** The CLI through the built bin, in child processes, on a real DuckDB file. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import { runCli } from '../support/cli.js';
import { cleanupPrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { createFixture, type Fixture } from '../support/duckdb-fixture.js';

const D = '2026-11-29';
const S = 'hs_franquia.gold_connect_bot';

describe('crm-materializer CLI', () => {
  let f: Fixture;
  let env: Record<string, string>;
  const dump = async () => Promise.all(TABLE_NAMES.map((t) => f.rows(`SELECT * FROM ${S}.${t} ORDER BY ALL`)));

  beforeAll(async () => {
    f = await createFixture();
    await f.setSources({
      verifications: [['V1', 'O1', 'L1', '2026-11-29 08:00:00']],
      questions: [['V1', 'Q1', true, true]],
      actions: [['A1', 'O1', 'L1', 'V1', 'ana', 'corretiva', 'ABERTA', '2026-11-20', '2026-11-01 00:00:00', null]],
    });
    await f.warehouse.close();
    env = { DUCKDB_PATH: f.path };
  });
  afterAll(() => f.cleanup());

  test.each([[[]], [['init']], [['run']], [['validate']], [['sql', 'render']], [['demo', 'seed']], [['audit']]])(
    '--help for %j',
    async (args) => {
      const r = await runCli([...args, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage: crm-materializer');
    },
  );

  test('audit --inline --json prints the whole-view counts and records them; queued, it adds a job to its queue', async () => {
    const prefix = uniquePrefix();
    try {
      const inline = await runCli(['audit', '--inline', '--json'], { ...env, REDIS_URL, QUEUE_PREFIX: prefix });
      expect(inline.stderr).toBe('');
      expect(inline.code).toBe(0);
      expect(JSON.parse(inline.stdout)).toMatchObject({
        anomalies: { acoes_fechadas_sem_closed_at: 0, verificacoes_sem_data: 0, perguntas_sem_verificacao: 0 },
      });
      const queued = await runCli(['audit', '--json'], { ...env, REDIS_URL, QUEUE_PREFIX: prefix });
      expect(queued.code).toBe(0);
      expect(JSON.parse(queued.stdout)).toEqual({ queued: expect.stringMatching(/^source-audit__manual__\d+$/) as unknown });
    } finally {
      await cleanupPrefix(prefix);
    }
  });

  test('init is idempotent', async () => {
    for (let i = 0; i < 2; i++) expect((await runCli(['init'], env)).code).toBe(0);
  });

  test('run --inline prints the summary and the validation table, exit 0', async () => {
    const r = await runCli(['run', '--date', D, '--inline'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/refresh\s+crm_metrics_daily\s+ok\s+1/);
    expect(r.stdout).toMatch(/tabela\s+registros\s+ultima_data\s+dias_atraso\s+ultima_atualizacao\s+status\s+failed checks/);
    expect(r.stdout).toMatch(/crm_actions_open_snapshot\s+1\s+2026-11-29\s+0\s+\S+\s+ok/);
  });

  test('validate --json; a critical table exits 1', async () => {
    const ok = await runCli(['validate', '--date', D, '--json'], env);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ date: D, worstStatus: 'ok', checksPassed: true });
    const late = await runCli(['validate', '--date', '2026-12-05'], env);
    expect(late.code).toBe(1);
    expect(late.stdout).toMatch(/crm_actions_open_snapshot\s+1\s+2026-11-29\s+6\s+\S+\s+critical/);
  });

  test.each(['databricks', 'duckdb'])('sql render --engine %s', async (engine) => {
    const r = await runCli(['sql', 'render', '--engine', engine, '--date', D], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(engine === 'databricks' ? 'REPLACE WHERE' : 'BEGIN TRANSACTION;');
    expect(r.stdout).toContain('ref_date=DATE 2026-11-29');
  });

  const bad: [string, string[], Record<string, string>, RegExp][] = [
    ['impossible date', ['run', '--date', '2026-02-30'], {}, /--date '2026-02-30' is not a real calendar date/],
    ['word for a date', ['run', '--date', 'tomorrow'], {}, /--date 'tomorrow' is not a date: use YYYY-MM-DD/],
    ['unknown table', ['run', '--tables', 'crm_foo'], {}, /unknown table 'crm_foo' in --tables/],
    ['unknown task', ['run', '--inline', '--tasks', 'refresh,vacuum'], {}, /unknown task 'vacuum' in --tasks/],
    ['window 0', ['run'], { REFRESH_WINDOW_DAYS: '0' }, /REFRESH_WINDOW_DAYS='0' must be a whole number from 1 to 366/],
    ['window > 366', ['run'], { REFRESH_WINDOW_DAYS: '400' }, /REFRESH_WINDOW_DAYS='400'/],
    ['retention below window', ['run'], { RETENTION_DAYS: '3' }, /RETENTION_DAYS=3 is below crm_metrics_daily's refresh window/],
    ['injected schema', ['run'], { CRM_SCHEMA: 'x;drop table y' }, /CRM_SCHEMA='x;drop table y' must be an identifier/],
    ['unknown warehouse', ['run'], { WAREHOUSE: 'oracle' }, /WAREHOUSE='oracle' must be one of duckdb \| databricks/],
    [
      'uncreatable folder',
      ['run', '--inline'],
      { DUCKDB_PATH: '/etc/hostname/sub/crm.duckdb' },
      /DUCKDB_PATH='\/etc\/hostname\/sub\/crm.duckdb' is not usable: \/etc\/hostname is not a folder/,
    ],
    ['unknown engine for render', ['sql', 'render', '--engine', 'oracle'], {}, /--engine 'oracle' is not valid/],
  ];
  test.each(bad)('bad input (%s): one line on stderr, exit 2, no table changed', async (_name, args, extra, message) => {
    const before = await dump();
    const r = await runCli(args, { ...env, ...extra });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(await dump()).toEqual(before);
  });

  test('a missing source view is named with the catalog.schema searched, exit 1, nothing changed', async () => {
    const before = await dump();
    const r = await runCli(['run', '--date', D, '--inline'], { ...env, CRM_SOURCE_SCHEMA: 'bronze' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('source view vw_crm_verification not found in hs_franquia.bronze');
    expect(await dump()).toEqual(before);
  });
});
