/**
 * The Databricks engine around the driver, with a scripted driver behind its
 * seam (test/support/databricks-fake.ts): one session reused and re-opened
 * when the warehouse forgot it, statements cancelled when their task aborts,
 * every operation closed whatever happened, the statement timeout set and
 * its failure named, and each failure classified as transient (retried) or
 * not. The same engine against the real driver: test/integration/databricks-*.
 */
import { describe, expect, test } from 'vitest';
import { StatementCancelledError, UsageError, WarehouseAuthError, WarehouseError, WarehousePermissionError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { DatabricksWarehouse } from '../../src/warehouse/databricks.js';
import { sqlDate } from '../../src/warehouse/types.js';
import { waitFor } from '../support/wait.js';
import {
  FAKE_TOKEN,
  FakeDriver,
  State,
  fakeSettings,
  httpError,
  networkError,
  operationError,
  statusError,
  type OperationScript,
} from '../support/databricks-fake.js';
import { parseIsoDate } from '../../src/dates.js';

const log = createLogger('silent');

function engine(
  script: (sql: string) => OperationScript = () => ({}),
  settings = fakeSettings(),
): { dbx: DatabricksWarehouse; driver: FakeDriver } {
  const driver = new FakeDriver();
  driver.script = script;
  return { dbx: new DatabricksWarehouse(settings, log, driver), driver };
}

/** The error a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('sessions', () => {
  test('one client and one session for every statement, opened in the catalog and schema with the statement timeout', async () => {
    const { dbx, driver } = engine(() => ({ states: [State.PENDING_STATE, State.RUNNING_STATE, State.FINISHED_STATE], rows: [{ n: 3n }] }));
    expect(await dbx.query({ sql: 'SELECT 1 AS n' })).toEqual([{ n: 3 }]);
    expect(
      await dbx.query(
        { sql: 'SELECT :d AS d', params: { d: sqlDate(parseIsoDate('2026-11-29')) } },
        { tag: { task: 'refresh', table: 'crm_metrics_daily', date: '2026-11-29' } },
      ),
    ).toEqual([{ n: 3 }]);
    expect(driver.clients).toHaveLength(1);
    expect(driver.sessions).toHaveLength(1);
    expect(driver.sessions[0]!.request).toMatchObject({
      initialCatalog: 'hs_franquia',
      initialSchema: 'gold_connect_bot',
      configuration: { STATEMENT_TIMEOUT: '900' },
    });
    const [first, second] = driver.operations;
    expect(first!.calls).toEqual(['status', 'status', 'status', 'fetchAll', 'close']);
    expect(second!.options).toMatchObject({
      queryTags: { app: 'crm-materializer', task: 'refresh', table: 'crm_metrics_daily', date: '2026-11-29' },
    });
    expect(Object.keys(second!.options?.namedParameters ?? {})).toEqual(['d']);
    await dbx.close();
    expect(driver.sessions[0]!.closed).toBe(true);
    expect(driver.clients[0]!.closed).toBe(true);
  });

  test('rows written come from the counts the warehouse returns', async () => {
    const { dbx } = engine(() => ({ rows: [{ num_affected_rows: 5n, num_inserted_rows: 7n }] }));
    expect(
      await dbx.execute({ sql: 'INSERT INTO t REPLACE WHERE d = :d SELECT 1', params: { d: sqlDate(parseIsoDate('2026-11-29')) } }),
    ).toEqual({ rowsAffected: 7 });
    await dbx.close();
  });

  test('a session the warehouse forgot is closed and a new one opened; the statement runs once, on the new one', async () => {
    const { dbx, driver } = engine(() => ({ rows: [{ ok: 1 }] }));
    await dbx.query({ sql: 'SELECT 1 AS ok' });
    driver.executeErrors.push(statusError('Invalid SessionHandle: SessionHandle [3c1f] is unknown'));
    expect(await dbx.query({ sql: 'SELECT 2 AS ok' })).toEqual([{ ok: 1 }]);
    expect(driver.sessions).toHaveLength(2);
    expect(driver.sessions[0]!.closed).toBe(true);
    expect(driver.sessions[0]!.operations.map((o) => o.sql)).toEqual(['SELECT 1 AS ok']);
    expect(driver.sessions[1]!.operations.map((o) => o.sql)).toEqual(['SELECT 2 AS ok']);
    expect(driver.clients).toHaveLength(1);
    await dbx.close();
  });

  test('a session refused twice in a row fails the statement, retryably', async () => {
    const { dbx, driver } = engine();
    const forgotten = (): Error => statusError('Invalid SessionHandle: session expired');
    driver.executeErrors.push(forgotten(), forgotten());
    const e = await failure(dbx.execute({ sql: 'DELETE FROM t' }));
    expect(e).toBeInstanceOf(WarehouseError);
    expect((e as WarehouseError).transient).toBe(true);
    expect(driver.sessions).toHaveLength(2);
    await dbx.close();
  });

  test('a failed connection is not kept: the next statement connects again', async () => {
    const { dbx, driver } = engine();
    driver.connectErrors.push(networkError('ECONNREFUSED'));
    const e = await failure(dbx.execute({ sql: 'SELECT 1' }));
    expect(e.message).toMatch(/cannot reach Databricks at DATABRICKS_HOST=adb.example \(ECONNREFUSED\): retried later/);
    expect((e as WarehouseError).transient).toBe(true);
    await dbx.execute({ sql: 'SELECT 1' });
    expect(driver.clients).toHaveLength(1);
    await dbx.close();
  });

  test('close() then a statement: a new client and session', async () => {
    const { dbx, driver } = engine();
    await dbx.execute({ sql: 'SELECT 1' });
    await dbx.close();
    await dbx.execute({ sql: 'SELECT 1' });
    expect(driver.clients).toHaveLength(2);
    expect(driver.sessions).toHaveLength(2);
    expect(driver.clients[0]!.closed).toBe(true);
    await dbx.close();
  });
});

describe('cancel on abort', () => {
  test('a running statement is cancelled in the warehouse when its task aborts, then closed', async () => {
    const { dbx, driver } = engine(() => ({ untilCancelled: true }));
    const abort = new AbortController();
    const running = failure(dbx.execute({ sql: 'INSERT INTO t SELECT * FROM big' }, { signal: abort.signal }));
    await waitFor('the statement to reach the driver', () => Promise.resolve(driver.operations.length > 0), 10_000, 1);
    await driver.operations[0]!.polled;
    abort.abort(new Error('task timed out after JOB_TIMEOUT_MS'));
    const e = await running;
    expect(e).toBeInstanceOf(StatementCancelledError);
    expect(e.message).toContain('task timed out after JOB_TIMEOUT_MS');
    const calls = driver.operations[0]!.calls;
    expect(calls.filter((c) => c === 'cancel')).toHaveLength(1);
    expect(calls.indexOf('cancel')).toBeLessThan(calls.indexOf('close'));
    expect(calls.at(-1)).toBe('close');
    // The session stays usable.
    driver.script = () => ({});
    await dbx.execute({ sql: 'SELECT 1' });
    expect(driver.sessions).toHaveLength(1);
    await dbx.close();
  });

  test('a task aborted before its statement: nothing reaches the warehouse', async () => {
    const { dbx, driver } = engine();
    const abort = new AbortController();
    abort.abort();
    expect(await failure(dbx.execute({ sql: 'SELECT 1' }, { signal: abort.signal }))).toBeInstanceOf(StatementCancelledError);
    expect(driver.clients).toHaveLength(0);
    expect(driver.operations).toHaveLength(0);
  });

  test('a statement queued past DATABRICKS_STARTUP_WAIT_MS is cancelled and closed, retryably', async () => {
    const { dbx, driver } = engine(() => ({ states: [State.PENDING_STATE] }), fakeSettings({ startupWaitMs: 0 }));
    const e = await failure(dbx.execute({ sql: 'SELECT 1' }));
    expect(e.message).toMatch(/stayed queued .* DATABRICKS_STARTUP_WAIT_MS=0/);
    expect((e as WarehouseError).transient).toBe(true);
    expect(driver.operations[0]!.calls).toContain('cancel');
    expect(driver.operations[0]!.closed).toBe(true);
    await dbx.close();
  });
});

describe('statement timeout', () => {
  test("the warehouse's STATEMENT_TIMEOUT stopping a statement is named with DATABRICKS_STATEMENT_TIMEOUT_SECONDS, retryably", async () => {
    const { dbx, driver } = engine(() => ({
      states: [State.RUNNING_STATE, State.TIMEDOUT_STATE],
      finishedError: operationError(
        '57KD0',
        '[QUERY_EXECUTION_TIMEOUT_EXCEEDED] the query was cancelled: it exceeded the timeout of 900 seconds',
        'TIMEOUT',
      ),
    }));
    const e = await failure(dbx.execute({ sql: 'INSERT INTO t SELECT * FROM big' }));
    expect(e).toBeInstanceOf(WarehouseError);
    expect(e.message).toMatch(
      /^statement ran longer than DATABRICKS_STATEMENT_TIMEOUT_SECONDS=900 and the warehouse stopped it: \[QUERY_EXECUTION_TIMEOUT_EXCEEDED\]/,
    );
    expect(e).toMatchObject({ transient: true, sqlState: '57KD0' });
    expect(driver.operations[0]!.closed).toBe(true);
    await dbx.close();
  });
});

describe('every operation is closed, and every failure classified', () => {
  // [case, where it fails, the error, class, transient, message]
  const cases: [string, OperationScript, Error | undefined, new (...a: never[]) => Error, boolean, RegExp][] = [
    [
      'status() fails: connection reset',
      { statusError: networkError('ECONNRESET') },
      undefined,
      WarehouseError,
      true,
      /cannot reach Databricks .*ECONNRESET/,
    ],
    [
      'syntax error',
      { states: [State.ERROR_STATE], finishedError: operationError('42601', '[PARSE_SYNTAX_ERROR] Syntax error at or near "FORM"') },
      undefined,
      WarehouseError,
      false,
      /PARSE_SYNTAX_ERROR.*SQLSTATE 42601/,
    ],
    [
      'missing view',
      { states: [State.ERROR_STATE], finishedError: operationError('42P01', '[TABLE_OR_VIEW_NOT_FOUND] vw_crm_action') },
      undefined,
      WarehouseError,
      false,
      /TABLE_OR_VIEW_NOT_FOUND/,
    ],
    [
      'missing privilege',
      { states: [State.ERROR_STATE], finishedError: operationError('42501', '[INSUFFICIENT_PERMISSIONS] no SELECT on vw_crm_action') },
      undefined,
      WarehousePermissionError,
      false,
      /denied a privilege/,
    ],
    [
      'Delta write conflict',
      { states: [State.ERROR_STATE], finishedError: operationError('2D521', '[DELTA_CONCURRENT_APPEND] files were added') },
      undefined,
      WarehouseError,
      true,
      /DELTA_CONCURRENT_APPEND/,
    ],
    [
      'cancelled by someone else',
      { states: [State.CANCELED_STATE], finishedError: operationError('HY008', 'canceled', 'CANCELED') },
      undefined,
      WarehouseError,
      true,
      /cancelled the statement \(not this service\)/,
    ],
    ['fetching the result fails', { fetchError: new Error('socket hang up') }, undefined, WarehouseError, true, /socket hang up/],
    [
      'warehouse busy (HTTP 503) at submit',
      {},
      httpError(503),
      WarehouseError,
      true,
      /HTTP 503 \(busy, starting or unavailable; retried later\)/,
    ],
    ['token rejected (HTTP 401) at submit', {}, httpError(401), WarehouseAuthError, false, /HTTP 401.*check DATABRICKS_TOKEN/],
    ['wrong HTTP path (HTTP 404) at submit', {}, httpError(404), UsageError, false, /DATABRICKS_HTTP_PATH=\/sql\/1.0\/warehouses\/fake/],
  ];

  test.each(cases)('%s', async (_name, script, submitError, kind, transient, message) => {
    const { dbx, driver } = engine(() => script);
    if (submitError !== undefined) driver.executeErrors.push(submitError);
    const e = await failure(dbx.query({ sql: 'SELECT * FROM vw_crm_action' }));
    expect(e.constructor).toBe(kind);
    if (e instanceof WarehouseError) expect(e.transient).toBe(transient);
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain('\n');
    for (const op of driver.operations) expect(op.closed).toBe(true);
    expect(driver.sessions).toHaveLength(1);
    await dbx.close();
  });

  test('opening a session: credentials rejected is permanent; a warehouse still starting past the wait is retried later', async () => {
    const denied = engine();
    denied.driver.openSessionErrors.push(httpError(401));
    const e = await failure(denied.dbx.execute({ sql: 'SELECT 1' }));
    expect(e).toBeInstanceOf(WarehouseAuthError);
    expect((e as WarehouseError).transient).toBe(false);
    await denied.dbx.close();

    const starting = engine(() => ({}), fakeSettings({ startupWaitMs: 0 }));
    starting.driver.openSessionErrors.push(httpError(503, 'TEMPORARILY_UNAVAILABLE'));
    const later = await failure(starting.dbx.execute({ sql: 'SELECT 1' }));
    expect(later.message).toMatch(/did not accept a session within DATABRICKS_STARTUP_WAIT_MS=0/);
    expect((later as WarehouseError).transient).toBe(true);
    // The failed opening is not kept.
    await starting.dbx.execute({ sql: 'SELECT 1' });
    expect(starting.driver.sessions).toHaveLength(1);
    await starting.dbx.close();
  });

  test('the token never appears in an error', async () => {
    const { dbx, driver } = engine(() => ({
      states: [State.ERROR_STATE],
      finishedError: operationError('42000', `bad token ${FAKE_TOKEN} in request`),
    }));
    const e = await failure(dbx.execute({ sql: 'SELECT 1' }));
    expect(e.message).not.toContain(FAKE_TOKEN);
    expect(e.message).toContain('[redacted]');
    expect(driver.operations[0]!.closed).toBe(true);
    await dbx.close();
  });

  test('an atomic change is one statement, checked before the driver is reached', async () => {
    const { dbx, driver } = engine();
    expect((await failure(dbx.executeAtomic([{ sql: 'DELETE FROM t' }, { sql: 'INSERT INTO t SELECT 1' }]))).message).toMatch(
      /exactly one statement/,
    );
    expect((await failure(dbx.executeAtomic([{ sql: 'DELETE FROM t' }], { beforeCommit: () => Promise.resolve() }))).message).toMatch(
      /before its commit/,
    );
    expect(driver.clients).toHaveLength(0);
  });
});
