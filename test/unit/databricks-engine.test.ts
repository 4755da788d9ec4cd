/**
 * The Databricks engine's pure parts: its configuration, how values are
 * bound, and how the driver's errors (its real classes) are classified.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { THTTPException } from '@databricks/sql/dist/connection/connections/ThriftHttpConnection.js';
import { loadConfig } from '../../src/config/index.js';
import { StatementCancelledError, UsageError, WarehouseAuthError, WarehouseError, WarehousePermissionError } from '../../src/errors.js';
import { toWarehouseError, type ErrorContext } from '../../src/warehouse/databricks-errors.js';
import { splitHost, statementTags, toDriverParam } from '../../src/warehouse/databricks-params.js';
import { sqlDate, sqlTimestamp } from '../../src/warehouse/types.js';
import { configProblems } from '../support/config.js';
import { parseIsoDate, type IsoDate } from '../../src/dates.js';

const dir = mkdtempSync(join(tmpdir(), 'crm-dbx-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE = { WAREHOUSE: 'databricks', DATABRICKS_HTTP_PATH: '/sql/1.0/warehouses/abc', DATABRICKS_TOKEN: 'dapi-unit-secret' };
const problems = configProblems;

describe('Databricks configuration', () => {
  test('defaults, and DATABRICKS_HOST normalised (scheme and trailing slash dropped, port kept)', () => {
    const c = loadConfig({ ...BASE, DATABRICKS_HOST: 'https://adb-1.2.azuredatabricks.net/' });
    expect(c.databricks).toMatchObject({
      host: 'adb-1.2.azuredatabricks.net',
      statementTimeoutSeconds: 1800,
      startupWaitMs: 600_000,
      socketTimeoutMs: 300_000,
      telemetry: false,
      caCertFile: undefined,
    });
    expect(loadConfig({ ...BASE, DATABRICKS_HOST: '127.0.0.1:8443' }).databricks.host).toBe('127.0.0.1:8443');
    expect(splitHost('127.0.0.1:8443')).toEqual({ host: '127.0.0.1', port: 8443 });
    expect(splitHost('adb-1.2.azuredatabricks.net')).toEqual({ host: 'adb-1.2.azuredatabricks.net', port: 443 });
    expect(splitHost('[::1]:9000')).toEqual({ host: '[::1]', port: 9000 });
  });

  test('bad values: one line naming the variable and what is allowed, secrets hidden', () => {
    expect(problems({ ...BASE, DATABRICKS_HOST: 'https://h.net/sql/1.0' })).toContain(
      "DATABRICKS_HOST='https://h.net/sql/1.0' must be a host name with an optional :port and no path",
    );
    expect(problems({ ...BASE, DATABRICKS_HOST: 'h.net:70000' })).toContain('DATABRICKS_HOST=');
    expect(problems({ ...BASE, DATABRICKS_HOST: 'h.net', DATABRICKS_CA_CERT_FILE: join(dir, 'missing.pem') })).toMatch(
      /DATABRICKS_CA_CERT_FILE='.*missing.pem' must be a readable PEM file \(ENOENT\)/,
    );
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    expect(problems({ ...BASE, DATABRICKS_HOST: 'h.net', DATABRICKS_CA_CERT_FILE: notPem })).toContain(
      'must be a PEM file with a -----BEGIN CERTIFICATE----- block',
    );
    const message = problems({
      ...BASE,
      DATABRICKS_HOST: 'h.net',
      DATABRICKS_STATEMENT_TIMEOUT_SECONDS: '-1',
      DATABRICKS_STARTUP_WAIT_MS: 'soon',
    });
    expect(message).toContain("DATABRICKS_STATEMENT_TIMEOUT_SECONDS='-1' must be a whole number from 0 to 172800");
    expect(message).toContain("DATABRICKS_STARTUP_WAIT_MS='soon' must be a whole number from 0 to 3600000");
    expect(message).not.toContain('dapi-unit-secret');
    for (const line of message.split('; ')) expect(line).not.toContain('\n');
  });
});

describe('Databricks parameters and tags', () => {
  test('DATE as its YYYY-MM-DD text typed DATE; TIMESTAMP as an ISO instant; numbers and NULL typed', () => {
    expect(toDriverParam(sqlDate(parseIsoDate('2026-11-29'))).toSparkParameter({ name: 'd' })).toMatchObject({
      name: 'd',
      type: 'DATE',
      value: { stringValue: '2026-11-29' },
    });
    expect(toDriverParam(sqlTimestamp(new Date('2026-11-29T21:30:00Z'))).toSparkParameter()).toMatchObject({
      type: 'TIMESTAMP',
      value: { stringValue: '2026-11-29T21:30:00.000Z' },
    });
    expect(toDriverParam(7).toSparkParameter()).toMatchObject({ type: 'INTEGER' });
    expect(toDriverParam(2 ** 40).toSparkParameter()).toMatchObject({ type: 'BIGINT' });
    expect(toDriverParam(2.5).toSparkParameter()).toMatchObject({ type: 'DOUBLE' });
    expect(toDriverParam(9007199254740993n).toSparkParameter()).toMatchObject({
      type: 'BIGINT',
      value: { stringValue: '9007199254740993' },
    });
    const nul = toDriverParam(null).toSparkParameter();
    expect([nul.type ?? undefined, nul.value ?? undefined]).toEqual([undefined, undefined]);
    expect(() => toDriverParam(sqlDate('29/11/2026' as IsoDate))).toThrow(/YYYY-MM-DD/);
  });

  test('statement tags: app, task, table, date, run', () => {
    expect(statementTags({ task: 'refresh', table: 'crm_metrics_daily', date: '2026-11-29', runId: 'r1' })).toEqual({
      app: 'crm-materializer',
      task: 'refresh',
      table: 'crm_metrics_daily',
      date: '2026-11-29',
      run: 'r1',
    });
    expect(statementTags(undefined)).toEqual({ app: 'crm-materializer' });
  });
});

describe('Databricks errors', () => {
  const ctx: ErrorContext = {
    credentialVars: 'DATABRICKS_TOKEN',
    host: 'adb-1.2.azuredatabricks.net',
    httpPath: '/sql/1.0/warehouses/abc',
    statementTimeoutSeconds: 1800,
    redact: (t) => t.replaceAll('dapi-unit-secret', '[redacted]'),
  };
  const http = (status: number): THTTPException => new THTTPException({ status, headers: new Headers() });
  // The driver's OperationStateError (not exported from its index): errorCode and the operation status it ended with.
  const failed = (sqlState: string, message: string, errorCode = 'ERROR'): Error =>
    Object.assign(new Error(message), {
      name: 'OperationStateError',
      errorCode,
      response: { status: { statusCode: 0 }, sqlState, displayMessage: message },
    });
  const net = (code: string): Error => Object.assign(new Error(`request to https://h/ failed, reason: ${code}`), { code, type: 'system' });

  test.each([
    ['HTTP 401', http(401), WarehouseAuthError, false, /HTTP 401.*DATABRICKS_TOKEN/],
    ['HTTP 403', http(403), WarehouseAuthError, false, /HTTP 403.*CAN USE/],
    ['HTTP 404', http(404), UsageError, undefined, /DATABRICKS_HTTP_PATH=\/sql\/1.0\/warehouses\/abc/],
    ['HTTP 429', http(429), WarehouseError, true, /HTTP 429/],
    ['HTTP 503', http(503), WarehouseError, true, /HTTP 503/],
    ['ECONNRESET', net('ECONNRESET'), WarehouseError, true, /cannot reach Databricks at DATABRICKS_HOST/],
    ['ETIMEDOUT', net('ETIMEDOUT'), WarehouseError, true, /ETIMEDOUT/],
    ['socket hang up', new Error('socket hang up'), WarehouseError, true, /socket hang up/],
    ['untrusted certificate', net('SELF_SIGNED_CERT_IN_CHAIN'), UsageError, undefined, /DATABRICKS_CA_CERT_FILE/],
    ['syntax', failed('42601', '[PARSE_SYNTAX_ERROR] Syntax error'), WarehouseError, false, /PARSE_SYNTAX_ERROR.*SQLSTATE 42601/],
    ['missing table', failed('42P01', '[TABLE_OR_VIEW_NOT_FOUND] x'), WarehouseError, false, /42P01/],
    [
      'privilege',
      failed('42501', '[INSUFFICIENT_PERMISSIONS] no SELECT'),
      WarehousePermissionError,
      false,
      /denied a privilege.*USE SCHEMA/,
    ],
    ['Delta conflict', failed('2D521', '[DELTA_CONCURRENT_APPEND] conflict'), WarehouseError, true, /DELTA_CONCURRENT_APPEND/],
    [
      'warehouse stopping',
      failed('XX000', 'TEMPORARILY_UNAVAILABLE: warehouse is stopping'),
      WarehouseError,
      true,
      /TEMPORARILY_UNAVAILABLE/,
    ],
    [
      'statement timeout',
      failed('57KD0', '[QUERY_EXECUTION_TIMEOUT_EXCEEDED]', 'TIMEOUT'),
      WarehouseError,
      true,
      /DATABRICKS_STATEMENT_TIMEOUT_SECONDS=1800/,
    ],
    ['cancelled by someone else', failed('HY008', 'canceled', 'CANCELED'), WarehouseError, true, /cancelled the statement/],
  ])('%s', (_name, error, kind, transient, message) => {
    const mapped = toWarehouseError(error, ctx);
    expect(mapped.constructor).toBe(kind);
    if (transient !== undefined) expect((mapped as WarehouseError).transient).toBe(transient);
    expect(mapped.message).toMatch(message);
    expect(mapped.message).not.toContain('\n');
  });

  test('SQLSTATE kept; an aborted task is always a cancel; secrets redacted', () => {
    expect(toWarehouseError(failed('42601', 'x'), ctx)).toMatchObject({ sqlState: '42601' });
    const abort = new AbortController();
    abort.abort(new Error('task timed out'));
    expect(toWarehouseError(failed('HY008', 'canceled', 'CANCELED'), { ...ctx, signal: abort.signal })).toBeInstanceOf(
      StatementCancelledError,
    );
    expect(toWarehouseError(new Error('token dapi-unit-secret rejected'), ctx).message).not.toContain('dapi-unit-secret');
  });
});
