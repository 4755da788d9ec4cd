/**
 * `init` with WAREHOUSE=databricks against the local endpoint (the built bin):
 * DESCRIBE DETAIL tells a table created the old way (PARTITIONED BY its date)
 * from a liquid-clustered one; the documented migration is printed, not run.
 * Needs dist/ (`npx tsc -p tsconfig.build.json`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { SqlBuilder } from '../../src/tables/statements.js';
import { databricksDialect } from '../../src/warehouse/dialect.js';
import { createWarehouse } from '../../src/warehouse/index.js';
import { runCli } from '../support/cli.js';
import { writeCaCertFile } from '../../tools/databricks-local/certs.js';
import { start, type LocalDatabricks } from '../../tools/databricks-local/server.js';
import { CATALOG, SCHEMA, endpointEnv, seedTwoFiles } from '../support/databricks-env.js';

const T = `${CATALOG}.${SCHEMA}.crm_metrics_daily`;

describe('init with WAREHOUSE=databricks reports the layout from DESCRIBE DETAIL', () => {
  let dir: string;
  let ep: LocalDatabricks;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'crm-databricks-init-'));
    const { endpointPath } = await seedTwoFiles(dir);
    ep = await start({ duckdbPath: endpointPath });
    env = { ...endpointEnv(ep, writeCaCertFile(ep.caCert, dir)), LOG_LEVEL: 'warn' };
    // crm_metrics_daily as the original plan created it: partitioned by its date.
    const config = loadConfig(env);
    const warehouse = await createWarehouse(config);
    try {
      const [, metrics] = new SqlBuilder(config, databricksDialect).init();
      const old = metrics?.sql.replace(/CLUSTER BY \([^)]*\)$/, 'PARTITIONED BY (data_referencia)') ?? '';
      expect(old).toContain('PARTITIONED BY (data_referencia)');
      await warehouse.execute({ sql: old });
    } finally {
      await warehouse.close();
    }
  });
  afterAll(async () => {
    await ep?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an old table: partitioned, with the migration printed; the others created, then reported clustered', async () => {
    const r = await runCli(['init'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      'crm_metrics_daily: exists, old layout: partitioned by (data_referencia), the layout before liquid clustering',
    );
    expect(r.stdout).toContain(`CREATE OR REPLACE TABLE ${T}`);
    expect(r.stdout).toContain('CLUSTER BY (data_referencia, organization_id, location_id)');
    expect(r.stdout).toContain(`OPTIMIZE ${T};`);
    expect(r.stdout).toContain('crm_actions_open_snapshot: created');
    // Printed, never run: the warehouse received no CREATE OR REPLACE nor OPTIMIZE.
    expect(ep.log.statements.some((s) => /^(CREATE OR REPLACE TABLE|OPTIMIZE)/.test(s.statement))).toBe(false);

    const again = await runCli(['init'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(
      'crm_actions_open_snapshot: exists, clustered: clustered by (data_snapshot, organization_id, location_id)',
    );
    expect(again.stdout).toContain('crm_metrics_daily: exists, old layout');
  });
});
