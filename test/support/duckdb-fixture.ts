/**
 * A temporary DuckDB file with hand-written source rows, and the services to
 * run tasks on it. Every test gets its own folder, removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createLogger } from '../../src/log.js';
import { SqlBuilder } from '../../src/tables/statements.js';
import type { TaskContext } from '../../src/tasks/context.js';
import { duckdbDialect } from '../../src/warehouse/dialect.js';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import type { Row } from '../../src/warehouse/types.js';

export type Value = string | number | boolean | null;

export interface SourceRows {
  verifications?: [id: string | null, org: string | null, loc: string | null, date: string | null][];
  questions?: [verificationId: string | null, questionId: string | null, critical: boolean | null, nonConforming: boolean | null][];
  actions?: [
    id: string | null,
    org: string | null,
    loc: string | null,
    verificationId: string | null,
    responsible: string | null,
    type: string | null,
    status: string | null,
    dueDate: string | null,
    createdAt: string | null,
    closedAt: string | null,
  ][];
}

export interface Fixture {
  readonly dir: string;
  readonly path: string;
  readonly config: Config;
  readonly warehouse: DuckDbWarehouse;
  readonly sql: SqlBuilder;
  readonly ctx: TaskContext;
  /** Rows of a materialized table (or any query), dates as YYYY-MM-DD strings. */
  rows(sqlText: string): Promise<Record<string, Value>[]>;
  setSources(rows: SourceRows): Promise<void>;
  cleanup(): Promise<void>;
}

export const ENV_BASE = { CRM_CATALOG: 'hs_franquia', CRM_SCHEMA: 'gold_connect_bot', LOG_LEVEL: 'silent' } as const;

export async function createFixture(env: Record<string, string> = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-test-'));
  const path = join(dir, 'crm.duckdb');
  const config = loadConfig({ ...ENV_BASE, DUCKDB_PATH: path, ...env });
  const warehouse = new DuckDbWarehouse({ path, catalog: config.catalog, idleCloseMs: 0 });
  const sql = new SqlBuilder(config, duckdbDialect);
  const log = createLogger('silent');
  const src = `${config.sourceCatalog}.${config.sourceSchema}`;
  const exec = async (text: string): Promise<void> => {
    await warehouse.execute({ sql: text });
  };
  await exec(`CREATE SCHEMA IF NOT EXISTS ${src}`);
  await exec(`CREATE SCHEMA IF NOT EXISTS ${config.catalog}.${config.schema}`);
  return {
    dir,
    path,
    config,
    warehouse,
    sql,
    ctx: { warehouse, sql, log },
    async rows(sqlText) {
      return (await warehouse.query({ sql: sqlText })).map(plain);
    },
    async setSources(rows) {
      await exec(
        `CREATE OR REPLACE TABLE ${src}.vw_crm_verification (VERIFICATION_ID VARCHAR, ORGANIZATION_ID VARCHAR, LOCATION_ID VARCHAR, VERIFICATION_DATE TIMESTAMP)`,
      );
      await exec(
        `CREATE OR REPLACE TABLE ${src}.vw_crm_verification_question (VERIFICATION_ID VARCHAR, QUESTION_ID VARCHAR, IS_CRITICAL_CONTROL BOOLEAN, IS_NON_CONFORMING BOOLEAN)`,
      );
      await exec(
        `CREATE OR REPLACE TABLE ${src}.vw_crm_action (ACTION_ID VARCHAR, ORGANIZATION_ID VARCHAR, LOCATION_ID VARCHAR, VERIFICATION_ID VARCHAR, RESPONSIBLE VARCHAR, ACTION_TYPE VARCHAR, STATUS VARCHAR, DUE_DATE DATE, CREATED_AT TIMESTAMP, CLOSED_AT TIMESTAMP)`,
      );
      await insert(`${src}.vw_crm_verification`, rows.verifications ?? []);
      await insert(`${src}.vw_crm_verification_question`, rows.questions ?? []);
      await insert(`${src}.vw_crm_action`, rows.actions ?? []);
    },
    async cleanup() {
      await warehouse.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  async function insert(table: string, rows: readonly (readonly Value[])[]): Promise<void> {
    if (rows.length === 0) return;
    const values = rows.map((r) => `(${r.map(literal).join(', ')})`).join(',\n');
    await exec(`INSERT INTO ${table} VALUES ${values}`);
  }
}

function literal(v: Value): string {
  if (v === null) return 'NULL';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  return `'${v.replaceAll("'", "''")}'`;
}

/** Dates → 'YYYY-MM-DD' (or full ISO for timestamps with a time), bigint → number. */
export function plain(row: Row): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [k, v] of Object.entries(row)) {
    if (v instanceof Date) {
      const iso = v.toISOString();
      out[k] = iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
    } else out[k] = v as Value;
  }
  return out;
}
