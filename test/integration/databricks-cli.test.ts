/**
 * The built bin with WAREHOUSE=databricks against the local Databricks SQL
 * endpoint (in this process), beside the same run with WAREHOUSE=duckdb on
 * the same source data: `run --inline` succeeds and prints the same tables.
 * Needs dist/ (`npx tsc -p tsconfig.build.json`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli, type CliResult } from '../support/cli.js';
import { writeCaCertFile } from '../../tools/databricks-local/certs.js';
import { start, type LocalDatabricks } from '../../tools/databricks-local/server.js';
import { CATALOG, D, SCHEMA, endpointEnv, seedTwoFiles } from '../support/databricks-env.js';

const ISO_INSTANT = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g;

/** The output without what differs between runs: write times and seconds. */
function stable(out: string): string[] {
  return out
    .replace(ISO_INSTANT, '<written>')
    .split('\n')
    .map((line) =>
      line
        .replace(/\s+\d+\.\d{2}(\s|$)/, ' <s>$1')
        .replace(/\s+/g, ' ')
        .trim(),
    )
    .filter((line) => !/^-+( -+)*$/.test(line));
}

describe('crm-materializer run --inline with WAREHOUSE=databricks', () => {
  let dir: string;
  let ep: LocalDatabricks;
  let duck: CliResult;
  let dbx: CliResult;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'crm-databricks-cli-'));
    const { duckdbPath, endpointPath } = await seedTwoFiles(dir);
    ep = await start({ duckdbPath: endpointPath });
    const caFile = writeCaCertFile(ep.caCert, dir);
    const base = { CRM_CATALOG: CATALOG, CRM_SCHEMA: SCHEMA };
    [duck, dbx] = await Promise.all([
      runCli(['run', '--inline', '--date', D], { ...base, WAREHOUSE: 'duckdb', DUCKDB_PATH: duckdbPath }),
      runCli(['run', '--inline', '--date', D], { ...endpointEnv(ep, caFile), LOG_LEVEL: 'debug' }),
    ]);
  });

  afterAll(async () => {
    await ep?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('exits 0 and prints the same run summary and validation table as DuckDB', () => {
    expect(duck.code, duck.stderr).toBe(0);
    expect(dbx.code, dbx.stderr.slice(-2000)).toBe(0);
    expect(dbx.stdout).toMatch(/^Run for 2026-11-29/);
    expect(dbx.stdout).toMatch(/crm_actions_open_snapshot\s+\d+\s+2026-11-29\s+0\s+\S+\s+ok/);
    expect(stable(dbx.stdout)).toEqual(stable(duck.stdout));
  });

  test('it really ran on the endpoint, in one session closed at exit, with no token in the logs', () => {
    expect(ep.log.statements.filter((s) => s.kind === 'replace' && s.state === 'finished')).toHaveLength(3);
    expect(ep.log.sessions).toHaveLength(1);
    expect(ep.log.sessions[0]?.closedAt).toBeDefined();
    expect(ep.log.callsOf('CloseSession')).toHaveLength(1);
    expect(dbx.stderr).toContain('"engine":"databricks"');
    expect(dbx.stderr).not.toContain(ep.token);
  });
});
