/**
 * The queued service on WAREHOUSE=databricks, through the real driver and the
 * local endpoint: a daily run's flow produces the same tables as the embedded
 * engine, a transient 503 is retried by BullMQ, and a task past its timeout
 * cancels its statement in the warehouse.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { planDailyRun } from '../../src/producer/scheduler.js';
import { startService, type Service } from '../../src/service.js';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import { SqlBuilder } from '../../src/tables/statements.js';
import { runInline } from '../../src/tasks/run-inline.js';
import { createWarehouse, dialectOf } from '../../src/warehouse/index.js';
import { writeCaCertFile } from '../../tools/databricks-local/certs.js';
import { start, type LocalDatabricks } from '../../tools/databricks-local/server.js';
import { CATALOG, D, LogCapture, SCHEMA, endpointEnv, seedTwoFiles } from '../support/databricks-env.js';
import { cleanupPrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { QUICK_ENV } from '../support/service.js';
import { waitForState } from '../support/wait.js';
import type { IsoDate } from '../../src/dates.js';

const S = `${CATALOG}.${SCHEMA}`;
const prefix = uniquePrefix();
let dir: string;
let ep: LocalDatabricks;
let service: Service;
let duckdbPath: string;
const logs = new LogCapture();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'crm-dbx-queue-'));
  const files = await seedTwoFiles(dir);
  duckdbPath = files.duckdbPath;
  ep = await start({ duckdbPath: files.endpointPath });
  const config = loadConfig({
    ...QUICK_ENV,
    ...endpointEnv(ep, writeCaCertFile(ep.caCert, dir)),
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    JOB_TIMEOUT_MS: '3000',
    REFRESH_CONCURRENCY: '1',
    API_AUTH: 'off',
  });
  service = await startService(config, logs.logger('info'), ['worker']);
});

afterAll(async () => {
  await service?.stop();
  await ep?.close();
  await cleanupPrefix(prefix);
  rmSync(dir, { recursive: true, force: true });
});

const plan = (date: IsoDate) => planDailyRun(service.runtime, date);
const dump = (rows: (sql: string) => Promise<Record<string, unknown>[]>) =>
  Promise.all(TABLE_NAMES.map((t) => rows(`SELECT * EXCLUDE (atualizado_em) FROM ${S}.${t} ORDER BY ALL`)));

describe('queued runs on Databricks (local endpoint, real driver)', () => {
  test('a daily run, with a 503 on one ExecuteStatement retried by BullMQ, gives the tables the embedded engine gives', async () => {
    ep.faults.httpError({ method: 'ExecuteStatement', status: 503 });
    await plan(D);
    await waitForState(service.runtime.queues.validation, `validation__${D}`, ['completed'], 60_000);
    const attempts = await Promise.all(
      TABLE_NAMES.map(async (t) => (await service.runtime.queues.refresh.getJob(`refresh__${t}__${D}`))?.attemptsMade),
    );
    expect(attempts.reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBe(4); // three refreshes, one of them twice

    const config = loadConfig({ CRM_CATALOG: CATALOG, CRM_SCHEMA: SCHEMA, DUCKDB_PATH: duckdbPath, LOG_LEVEL: 'silent' });
    const warehouse = await createWarehouse(config);
    try {
      const summary = await runInline({ warehouse, sql: new SqlBuilder(config, dialectOf(config)), log: logs.logger('silent') }, config, {
        date: D,
        tables: TABLE_NAMES,
        tasks: ['refresh', 'retention', 'validation'],
      });
      expect(summary.ok).toBe(true);
      const embedded = await dump(async (sql) => warehouse.query({ sql }));
      const viaQueue = await dump(async (sql) => ep.duckdb(sql));
      expect(JSON.parse(JSON.stringify(viaQueue, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)))).toEqual(
        JSON.parse(JSON.stringify(embedded)),
      );
      expect(embedded[2]?.length).toBeGreaterThan(0);
    } finally {
      await warehouse.close();
    }
  });

  test('a task past its timeout cancels its statement in the warehouse; the table keeps its rows', async () => {
    const count = async (): Promise<unknown> => (await ep.duckdb(`SELECT count(*)::INTEGER AS n FROM ${S}.crm_metrics_daily`))[0];
    const before = await count();
    const slow = ep.faults.slowStatement({ match: `INSERT INTO ${S}.crm_metrics_daily REPLACE WHERE`, delayMs: Infinity, times: 3 });
    await service.runtime.queues.refresh.add(
      'refresh',
      { runId: 'slow', date: D, table: 'crm_metrics_daily' },
      { jobId: 'slow-dbx', attempts: 1 },
    );
    await slow.hit;
    const insert = ep.log.statements.at(-1);
    const job = await waitForState(service.runtime.queues.refresh, 'slow-dbx', ['failed'], 30_000);
    expect(job.failedReason).toMatch(/timed out after 3s: its statement was cancelled/);
    expect(insert).toMatchObject({ state: 'canceled', executed: false });
    expect(ep.log.callsOf('CancelOperation').map((c) => c.operationId)).toContain(insert?.operationId);
    expect(await count()).toEqual(before);
  });
});
