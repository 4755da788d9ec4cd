/**
 * The read API's SQL on both engines: the same tables (the same demo
 * sources, the same run) give the same answers through WAREHOUSE=duckdb and
 * through the real Databricks driver against the local endpoint, NULLs of
 * the optional filters and the keyset cursor included.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { actionsQuery, metricsQuery, prioritiesQuery } from '../../src/api/params.js';
import { actionsPage, metricsBody, prioritiesBody } from '../../src/api/shape.js';
import { ApiSql } from '../../src/api/statements.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import { SqlBuilder } from '../../src/tables/statements.js';
import { runInline } from '../../src/tasks/run-inline.js';
import { createWarehouse, dialectOf } from '../../src/warehouse/index.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { writeCaCertFile } from '../../tools/databricks-local/certs.js';
import { start, type LocalDatabricks } from '../../tools/databricks-local/server.js';
import { CATALOG, D, LogCapture, SCHEMA, endpointEnv, seedTwoFiles } from '../support/databricks-env.js';
import type { SortKey } from '../../src/api/cursor.js';

interface Side {
  readonly config: Config;
  readonly warehouse: Warehouse;
  readonly api: ApiSql;
}

let dir: string;
let ep: LocalDatabricks;
const sides: Side[] = [];

async function side(env: Record<string, string>): Promise<Side> {
  const config = loadConfig({ CRM_CATALOG: CATALOG, CRM_SCHEMA: SCHEMA, ...env });
  const warehouse = await createWarehouse(config, { log: new LogCapture().logger() });
  const s = { config, warehouse, api: new ApiSql(config, dialectOf(config)) };
  sides.push(s);
  return s;
}

/** Answers without write times (each engine wrote its own). */
const comparable = (body: object): unknown => JSON.parse(JSON.stringify(body).replace(/"atualizado_em":"[^"]*"/g, '"atualizado_em":"-"'));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'crm-api-databricks-'));
  const { duckdbPath, endpointPath } = await seedTwoFiles(dir);
  ep = await start({ duckdbPath: endpointPath });
  const duck = await side({ WAREHOUSE: 'duckdb', DUCKDB_PATH: duckdbPath });
  const dbx = await side(endpointEnv(ep, writeCaCertFile(ep.caCert, dir)));
  for (const s of [duck, dbx]) {
    const log = new LogCapture().logger();
    const summary = await runInline({ warehouse: s.warehouse, sql: new SqlBuilder(s.config, dialectOf(s.config)), log }, s.config, {
      date: D,
      tables: TABLE_NAMES,
      tasks: ['refresh'],
    });
    expect(summary.ok).toBe(true);
  }
});

afterAll(async () => {
  for (const s of sides) await s.warehouse.close();
  await ep?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('read API SQL on DuckDB and on Databricks (local endpoint)', () => {
  test('metrics and priorities: the same answers, defaults and filters', async () => {
    const [duck, dbx] = sides as [Side, Side];
    const org = String(
      (await duck.warehouse.query({ sql: `SELECT MIN(organization_id) AS o FROM ${CATALOG}.${SCHEMA}.crm_metrics_daily` }))[0]?.o,
    );
    const cases = [
      metricsQuery({}),
      metricsQuery({ from: '2026-11-23', to: D, organization_id: org }),
      metricsQuery({ from: '2026-11-25' }),
      metricsQuery({ from: '2026-01-01', to: '2026-01-31' }),
    ];
    for (const q of cases) {
      const [a, b] = await Promise.all([duck, dbx].map(async (s) => comparable(metricsBody(q, await s.warehouse.query(s.api.metrics(q))))));
      expect(b).toEqual(a);
    }
    const day = metricsBody(cases[0]!, await dbx.warehouse.query(dbx.api.metrics(cases[0]!))) as { rows: unknown[]; to: string };
    expect([day.to, day.rows.length > 0]).toEqual([D, true]);
    for (const q of [prioritiesQuery({}), prioritiesQuery({ date: D, organization_id: org }), prioritiesQuery({ date: '2026-01-01' })]) {
      const [a, b] = await Promise.all(
        [duck, dbx].map(async (s) => comparable(prioritiesBody(q, await s.warehouse.query(s.api.priorities(q))))),
      );
      expect(b).toEqual(a);
    }
  });

  test('actions: the same pages, following the keyset cursor', async () => {
    const [duck, dbx] = sides as [Side, Side];
    for (const q of [actionsQuery({ page_size: '40' }), actionsQuery({ page_size: '25', prioridade: 'Vencidas' })]) {
      let after: SortKey | undefined;
      let pages = 0;
      do {
        const [a, b] = await Promise.all(
          [duck, dbx].map(async (s) => actionsPage(q, await s.warehouse.query(s.api.actions(q, after?.date ?? null, after)))),
        );
        expect(comparable(b!.body)).toEqual(comparable(a!.body));
        expect(b!.next).toEqual(a!.next);
        after = a!.next;
        pages++;
      } while (after && pages < 50);
      expect(pages).toBeGreaterThan(1);
    }
  });
});
