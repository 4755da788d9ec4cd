/**
 * The Databricks engine through the real @databricks/sql driver, over a real
 * verified TLS socket, against the local Databricks SQL endpoint: the same
 * tasks on the same source data give the same tables as WAREHOUSE=duckdb,
 * and failures reach BullMQ classified (cancel, auth, 503, syntax, start-up).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig, type Config } from '../../src/config/index.js';
import { SourceMissingError, StatementCancelledError, WarehouseAuthError, WarehouseError } from '../../src/errors.js';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import { SqlBuilder } from '../../src/tables/statements.js';
import type { TaskContext } from '../../src/tasks/context.js';
import { refreshTable } from '../../src/tasks/refresh.js';
import { refreshRange } from '../../src/tables/windows.js';
import { runInline, type RunSummary } from '../../src/tasks/run-inline.js';
import { checkSources } from '../../src/tasks/sources.js';
import { createWarehouse, dialectOf } from '../../src/warehouse/index.js';
import type { Row, Warehouse } from '../../src/warehouse/types.js';
import { writeCaCertFile } from '../../tools/databricks-local/certs.js';
import { start, type LocalDatabricks } from '../../tools/databricks-local/server.js';
import { CATALOG, D, LogCapture, SCHEMA, endpointEnv, seedTwoFiles } from '../support/databricks-env.js';
import { parseIsoDate } from '../../src/dates.js';

const S = `${CATALOG}.${SCHEMA}`;
const EARLIER = parseIsoDate('2026-11-19');
const ALL = { tables: TABLE_NAMES, tasks: ['refresh', 'retention', 'validation'] } as const;
// Retention at the shortest allowed period, so the second run deletes what the first wrote.
const RETENTION = { RETENTION_DAYS: '7', LOG_LEVEL: 'debug' };
const HEAVY = 'SELECT sum(hash(a.range * b.range)) AS h FROM range(100000) a CROSS JOIN range(100000) b';
const settled = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    (v) => ({ value: v }),
    (e: unknown) => e,
  );

let dir: string;
let caFile: string;
let ep: LocalDatabricks;
const logs = new LogCapture();
const opened: Warehouse[] = [];

interface Engine {
  readonly config: Config;
  readonly warehouse: Warehouse;
  readonly ctx: TaskContext;
}

async function engine(env: Record<string, string>, log = logs.logger()): Promise<Engine> {
  const config = loadConfig({ CRM_CATALOG: CATALOG, CRM_SCHEMA: SCHEMA, ...env });
  const warehouse = await createWarehouse(config, { log });
  opened.push(warehouse);
  return { config, warehouse, ctx: { warehouse, sql: new SqlBuilder(config, dialectOf(config)), log } };
}
const databricks = (extra: Record<string, string> = {}): Promise<Engine> => engine(endpointEnv(ep, caFile, { ...RETENTION, ...extra }));

function without<T extends object>(o: T, key: keyof T): Partial<T> {
  const copy: Partial<T> = { ...o };
  delete copy[key];
  return copy;
}

/** Every row of the three tables but atualizado_em, in a stable order. */
async function tables(w: Warehouse): Promise<Record<string, Row[]>> {
  const out: Record<string, Row[]> = {};
  for (const t of TABLE_NAMES) {
    const rows = (await w.query({ sql: `SELECT * FROM ${S}.${t}` })).map((row) => without(row, 'atualizado_em'));
    out[t] = rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return out;
}

/** What must match across engines: outcomes without timings, validation without write times. */
function comparable(s: RunSummary): unknown {
  return {
    ok: s.ok,
    outcomes: s.outcomes.map((o) => without(o, 'seconds')),
    validation: s.validation && { ...s.validation, seconds: 0, tables: s.validation.tables.map((t) => without(t, 'ultima_atualizacao')) },
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'crm-databricks-'));
  const { duckdbPath, endpointPath } = await seedTwoFiles(dir);
  ep = await start({ duckdbPath: endpointPath });
  caFile = writeCaCertFile(ep.caCert, dir);
  // Same sources, same tasks, two engines.
  const duck = await engine({ WAREHOUSE: 'duckdb', DUCKDB_PATH: duckdbPath, ...RETENTION });
  const dbx = await databricks();
  for (const date of [EARLIER, D]) {
    duckRuns.push(await runInline(duck.ctx, duck.config, { date, ...ALL }));
    dbxRuns.push(await runInline(dbx.ctx, dbx.config, { date, ...ALL }));
  }
  duckTables = await tables(duck.warehouse);
  dbxTables = await tables(dbx.warehouse);
  main = dbx;
});
const duckRuns: RunSummary[] = [];
const dbxRuns: RunSummary[] = [];
let duckTables: Record<string, Row[]>;
let dbxTables: Record<string, Row[]>;
let main: Engine;

afterAll(async () => {
  for (const w of opened) await w.close();
  expect(ep.openSessions()).toBe(0);
  await ep?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Databricks engine on the local endpoint', () => {
  test('init + refresh + retention + validation give the same tables and reports as DuckDB', () => {
    expect(dbxRuns.map(comparable)).toEqual(duckRuns.map(comparable));
    expect(dbxRuns.every((r) => r.ok)).toBe(true);
    expect(dbxTables).toEqual(duckTables);
    for (const t of TABLE_NAMES) expect(dbxTables[t]?.length, t).toBeGreaterThan(0);
    // The second run's retention deleted the first run's older rows, counted alike on both engines.
    const deleted = dbxRuns[1]?.outcomes.filter((o) => o.task === 'retention').map((o) => o.rows);
    expect(deleted?.some((n) => (n ?? 0) > 0)).toBe(true);
    // Written/deleted counts come from num_inserted_rows / num_affected_rows.
    expect(dbxRuns[1]?.outcomes.find((o) => o.task === 'refresh')?.rows).toBeGreaterThan(0);
  });

  test('the warehouse receives one REPLACE WHERE per refresh, DELETE + VACUUM RETAIN 168 HOURS per retention', () => {
    const replaces = ep.log.statements.filter((s) => s.kind === 'replace');
    expect(replaces).toHaveLength(2 * TABLE_NAMES.length);
    expect(replaces.every((s) => s.state === 'finished' && s.statement.startsWith(`INSERT INTO ${S}.`))).toBe(true);
    const vacuums = ep.log.statements.filter((s) => s.kind === 'vacuum');
    expect(vacuums.map((s) => s.maintenance?.retainHours)).toEqual(Array(2 * TABLE_NAMES.length).fill(168));
  });

  test('DATE parameters arrive typed DATE (as YYYY-MM-DD), the write time typed TIMESTAMP', () => {
    const replace = ep.log.statementsMatching(`INSERT INTO ${S}.crm_metrics_daily REPLACE WHERE`).at(-1);
    const byName = Object.fromEntries((replace?.parameters ?? []).map((p) => [p.name ?? '', p] as const));
    expect(byName.ref_date).toMatchObject({ type: 'DATE', value: D, boundAs: 'DATE' });
    expect(byName.window_start).toMatchObject({ type: 'DATE', value: '2026-11-23', boundAs: 'DATE' });
    expect(byName.written_at).toMatchObject({ type: 'TIMESTAMP', boundAs: 'TIMESTAMP' });
    const dates = ep.log.statements.flatMap((s) => s.parameters).filter((p) => /date|cutoff|start/.test(p.name ?? ''));
    expect(dates.length).toBeGreaterThan(10);
    expect(dates.every((p) => p.type === 'DATE')).toBe(true);
  });

  test('session: catalog and schema, STATEMENT_TIMEOUT and query tags; statements tagged with task, table, date and run', async () => {
    const session = ep.log.sessions[0];
    expect(session).toMatchObject({ initialCatalog: CATALOG, initialSchema: SCHEMA });
    expect(session?.configuration.STATEMENT_TIMEOUT).toBe('1800');
    expect(session?.configuration.QUERY_TAGS).toBe('app:crm-materializer');
    // One session for everything this warehouse object ran.
    expect(new Set(ep.log.statements.slice(0, 20).map((s) => s.sessionId)).size).toBe(1);

    const tag = { task: 'refresh', table: 'crm_action_priorities_daily', date: D, runId: 'run:2026-11-29' };
    await refreshTable({ ...main.ctx, tag }, 'crm_action_priorities_daily', refreshRange('crm_action_priorities_daily', D, 7));
    const overlay = ep.log.statements.at(-1)?.confOverlay;
    expect(overlay?.query_tags).toBe(
      'app:crm-materializer,task:refresh,table:crm_action_priorities_daily,date:2026-11-29,run:run\\:2026-11-29',
    );
  });

  test('a missing source view is reported as such', async () => {
    const other = await databricks({ CRM_SOURCE_SCHEMA: 'nowhere' });
    await expect(checkSources(other.ctx, TABLE_NAMES)).rejects.toBeInstanceOf(SourceMissingError);
    const probe = ep.log.statements.at(-1);
    expect(probe?.sqlState).toMatch(/^42/);
  });

  test('abort while the warehouse holds a statement: CancelOperation, StatementCancelledError, table untouched', async () => {
    const before = await ep.duckdb(`SELECT count(*)::INTEGER AS n, max(atualizado_em)::VARCHAR AS w FROM ${S}.crm_metrics_daily`);
    const slow = ep.faults.slowStatement({ match: `INSERT INTO ${S}.crm_metrics_daily REPLACE WHERE`, delayMs: Infinity });
    const abort = new AbortController();
    const refresh = settled(
      refreshTable({ ...main.ctx, signal: abort.signal }, 'crm_metrics_daily', refreshRange('crm_metrics_daily', D, 7)),
    );
    await slow.hit;
    const record = ep.log.statements.at(-1);
    abort.abort(new Error('task timed out after 1s'));
    const error = await refresh;
    expect(error).toBeInstanceOf(StatementCancelledError);
    expect((error as Error).message).toContain('task timed out');
    expect(record).toMatchObject({ state: 'canceled', executed: false });
    expect(ep.log.callsOf('CancelOperation').map((c) => c.operationId)).toContain(record?.operationId);
    expect(await ep.duckdb(`SELECT count(*)::INTEGER AS n, max(atualizado_em)::VARCHAR AS w FROM ${S}.crm_metrics_daily`)).toEqual(before);
    // The session is still usable.
    expect(await main.warehouse.query({ sql: 'SELECT 1 AS one' })).toEqual([{ one: 1 }]);
  });

  test('HTTP 503 on ExecuteStatement is transient (retried by BullMQ), and the next call succeeds', async () => {
    ep.faults.httpError({ method: 'ExecuteStatement', status: 503 });
    const error = await settled(main.warehouse.query({ sql: 'SELECT 1 AS one' }));
    expect(error).toBeInstanceOf(WarehouseError);
    expect(error).toMatchObject({ transient: true, message: expect.stringContaining('HTTP 503') as unknown });
    expect(error).not.toBeInstanceOf(StatementCancelledError);
    expect(await main.warehouse.query({ sql: 'SELECT 2 AS two' })).toEqual([{ two: 2 }]);
  });

  test('a syntax error is permanent and carries its SQLSTATE and the warehouse message', async () => {
    ep.faults.statementError({
      match: 'syntax_marker',
      sqlState: '42601',
      message: "[PARSE_SYNTAX_ERROR] Syntax error at or near 'FORM'.",
    });
    const error = await settled(main.warehouse.query({ sql: 'SELECT 1 AS syntax_marker' }));
    expect(error?.constructor).toBe(WarehouseError);
    expect(error).toMatchObject({ transient: false, sqlState: '42601' });
    expect((error as Error).message).toContain("[PARSE_SYNTAX_ERROR] Syntax error at or near 'FORM'.");
  });

  test('a bad token is a WarehouseAuthError, not retried, naming the variable and never the token', async () => {
    const bad = await databricks({ DATABRICKS_TOKEN: 'dapi-wrong-token-0123' });
    const error = await settled(bad.warehouse.query({ sql: 'SELECT 1' }));
    expect(error).toBeInstanceOf(WarehouseAuthError);
    expect(error).toMatchObject({ transient: false });
    expect((error as Error).message).toMatch(/HTTP 401.*DATABRICKS_TOKEN/);
    expect((error as Error).message).not.toContain('dapi-wrong-token-0123');
    const oauth = await engine({
      ...endpointEnv(ep, caFile),
      DATABRICKS_TOKEN: '',
      DATABRICKS_CLIENT_ID: 'sp-id',
      DATABRICKS_CLIENT_SECRET: 'dose-oauth-secret-9876',
    });
    const oauthError = await settled(oauth.warehouse.query({ sql: 'SELECT 1' }));
    expect(oauthError).toBeInstanceOf(WarehouseAuthError);
    expect((oauthError as Error).message).toContain('DATABRICKS_CLIENT_ID/DATABRICKS_CLIENT_SECRET');
    expect(logs.text).not.toContain('dapi-wrong-token-0123');
    expect(logs.text).not.toContain('dose-oauth-secret-9876');
  });

  test('start-up: OpenSession refused with 503 is waited for (logged), and past the budget fails transiently', async () => {
    ep.faults.httpError({ method: 'OpenSession', status: 503, times: 2, body: 'TEMPORARILY_UNAVAILABLE: warehouse is starting' });
    const waiting = new LogCapture();
    const starting = await engine(endpointEnv(ep, caFile, { DATABRICKS_STARTUP_WAIT_MS: '20000' }), waiting.logger());
    expect(await starting.warehouse.query({ sql: 'SELECT 1 AS up' })).toEqual([{ up: 1 }]);
    const lines = waiting.lines(/waiting for the Databricks SQL warehouse to start/);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ httpStatus: 503, reason: 'TEMPORARILY_UNAVAILABLE: warehouse is starting' });

    ep.faults.httpError({ method: 'OpenSession', status: 503, times: Infinity });
    const never = await engine(endpointEnv(ep, caFile, { DATABRICKS_STARTUP_WAIT_MS: '1000' }), waiting.logger());
    const error = await settled(never.warehouse.query({ sql: 'SELECT 1' }));
    ep.faults.clear();
    expect(error).toBeInstanceOf(WarehouseError);
    expect(error).toMatchObject({ transient: true, message: expect.stringContaining('DATABRICKS_STARTUP_WAIT_MS=1000') as unknown });
  });

  test('a statement left queued past the budget is cancelled and fails transiently', async () => {
    const queued = new LogCapture();
    const busy = await engine(endpointEnv(ep, caFile, { DATABRICKS_STARTUP_WAIT_MS: '1200' }), queued.logger());
    const abort = new AbortController();
    const heavy = settled(busy.warehouse.query({ sql: HEAVY }, { signal: abort.signal }));
    const record = await until(() => ep.log.statements.find((s) => s.statement === HEAVY && s.executed && s.state === 'running'));
    // Same session: the warehouse queues the next statement behind the heavy one.
    const error = await settled(busy.warehouse.query({ sql: 'SELECT 1 AS behind' }));
    abort.abort(new Error('shutting down'));
    expect(error).toMatchObject({ transient: true, message: expect.stringContaining('stayed queued') as unknown });
    expect(queued.lines(/statement queued/).length).toBeGreaterThan(0);
    const behind = ep.log.statements.find((s) => s.statement === 'SELECT 1 AS behind');
    expect(behind?.state).toBe('canceled');
    expect(await heavy).toBeInstanceOf(StatementCancelledError);
    await ep.idle();
    expect(record).toMatchObject({ state: 'canceled', interrupted: true });
  });

  test('short VACUUM retention, explicitly allowed: warned at start-up, the session lifts the check, VACUUM RETAIN 0 HOURS runs', async () => {
    const warned = new LogCapture();
    const short = await engine(
      endpointEnv(ep, caFile, { VACUUM_RETAIN_HOURS: '0', VACUUM_ALLOW_SHORT_RETENTION: 'true' }),
      warned.logger(),
    );
    expect(warned.lines(/retentionDurationCheck/)).toHaveLength(1);
    const [del, vacuum] = short.ctx.sql.retention('crm_actions_open_snapshot', EARLIER);
    await short.warehouse.execute(del!);
    await short.warehouse.execute(vacuum!);
    const session = ep.log.sessions.at(-1);
    expect(session?.sets).toEqual([{ key: 'spark.databricks.delta.retentionDurationCheck.enabled', value: 'false' }]);
    expect(ep.log.statements.at(-1)).toMatchObject({ kind: 'vacuum', state: 'finished', maintenance: { retainHours: 0 } });
    // With the default retention no session ever touched the check.
    expect(ep.log.sessions[0]?.sets).toEqual([]);
  });

  test('a session the warehouse no longer knows is replaced, and the statement runs', async () => {
    const opens = ep.log.callsOf('OpenSession').length;
    // What an auto-stopped warehouse or an expired session looks like to the driver.
    await (main.warehouse as unknown as { current: { close(): Promise<unknown> } }).current.close();
    expect(await main.warehouse.query({ sql: 'SELECT 3 AS three' })).toEqual([{ three: 3 }]);
    expect(ep.log.callsOf('OpenSession')).toHaveLength(opens + 1);
    expect(logs.lines(/session no longer valid/)).toHaveLength(1);
  });

  test('executeAtomic takes exactly one statement', async () => {
    const error = await settled(main.warehouse.executeAtomic([{ sql: 'SELECT 1' }, { sql: 'SELECT 2' }]));
    expect(error).toMatchObject({ transient: false, message: expect.stringContaining('exactly one statement') as unknown });
  });

  test('close() closes the session (CloseSession), twice is safe; no token in any log line', async () => {
    const sessionId = ep.log.sessions.findLast((s) => s.closedAt === undefined && s.initialSchema === SCHEMA)?.sessionId;
    await main.warehouse.close();
    await main.warehouse.close();
    expect(ep.log.callsOf('CloseSession').map((c) => c.sessionId)).toContain(sessionId);
    expect(ep.log.sessions.find((s) => s.sessionId === sessionId)?.closedAt).toBeDefined();
    expect(logs.text.length).toBeGreaterThan(1000); // debug lines, the driver's included
    expect(logs.text).not.toContain(ep.token);
  });
});

async function until<T>(find: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
