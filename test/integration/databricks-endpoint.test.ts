/**
 * The local Databricks SQL endpoint, exercised through the real
 * @databricks/sql driver over a real, verified TLS socket.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { DBSQLParameter, DBSQLParameterType, TApplicationException } from '@databricks/sql';
import { openDriverSession, type DriverSession } from '../../tools/databricks-local/client.js';
import { DEFAULT_SETTINGS, start, type LocalDatabricks } from '../../tools/databricks-local/server.js';
import { T } from '../../tools/databricks-local/thrift.js';

const TABLE = 'hs_franquia.gold_connect_bot.metrics';
const HEAVY = 'SELECT sum(hash(a.range * b.range)) AS h FROM range(100000) a CROSS JOIN range(100000) b';
const date = (value: string): DBSQLParameter => new DBSQLParameter({ type: DBSQLParameterType.DATE, value });
const settled = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    (v) => ({ value: v }),
    (e: unknown) => e,
  );

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let ep: LocalDatabricks;
let db: DriverSession;

async function rows(
  sql: string,
  namedParameters?: Record<string, DBSQLParameter | string | number | bigint | boolean>,
): Promise<Array<Record<string, unknown>>> {
  const op = await db.session.executeStatement(sql, namedParameters ? { namedParameters } : {});
  try {
    return (await op.fetchAll()) as Array<Record<string, unknown>>;
  } finally {
    await op.close();
  }
}

beforeAll(async () => {
  ep = await start({ setupSql: ['CREATE SCHEMA gold_connect_bot'] });
  db = await openDriverSession(ep, {
    initialCatalog: 'hs_franquia',
    initialSchema: 'gold_connect_bot',
    configuration: { STATEMENT_TIMEOUT: '60' },
    queryTags: { task: 'refresh' },
  });
});

afterEach(() => {
  ep.faults.clear();
  ep.configure({
    directResults: true,
    directResultsWaitMs: DEFAULT_SETTINGS.directResultsWaitMs,
    protocolVersion: T.TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8,
  });
});

/** Direct results however loaded the machine: ExecuteStatement waits for the statement to end (it is short). */
const DIRECT_RESULTS_ALWAYS = { directResultsWaitMs: 60_000 };

afterAll(async () => {
  await db?.close();
  await ep?.close();
});

describe('local Databricks SQL endpoint through @databricks/sql', () => {
  test('Thrift over verified TLS: bearer token checked, headers and session configuration recorded', async () => {
    const open = ep.log.callsOf('OpenSession')[0];
    expect(open?.authorized).toBe(true);
    expect(open?.headers.authorization).toBe('Bearer <redacted>');
    expect(open?.userAgent).toMatch(/^NodejsDatabricksSqlConnector\/2\.1\.0/);
    expect(open?.headers['content-type']).toBe('application/x-thrift');
    const session = ep.log.sessions[0];
    expect(session).toMatchObject({ initialCatalog: 'hs_franquia', initialSchema: 'gold_connect_bot' });
    expect(session?.configuration.STATEMENT_TIMEOUT).toBe('60');
    expect(session?.configuration.QUERY_TAGS).toContain('task');
    expect(session?.clientProtocol).toBe(T.TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8);

    expect(await rows('SET STATEMENT_TIMEOUT = 120')).toEqual([{ key: 'STATEMENT_TIMEOUT', value: '120' }]);
    expect(session?.conf.STATEMENT_TIMEOUT).toBe('120');
    expect(JSON.stringify(ep.log)).not.toContain(ep.token);
    expect((await db.session.getInfo(T.TGetInfoType.CLI_DBMS_NAME)).getValue()).toBe('Spark SQL');

    // The certificate is really verified: without the CA the TLS handshake fails.
    const untrusted = await settled(openDriverSession(ep, undefined, { customCaCert: undefined }));
    expect(untrusted).toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });

  test("DDL: USING DELTA dropped, PARTITIONED BY kept as the new table's layout (for DESCRIBE DETAIL), no result set", async () => {
    const op = await db.session.executeStatement(
      `CREATE TABLE IF NOT EXISTS ${TABLE} (d DATE, k STRING, n BIGINT, atualizado_em TIMESTAMP) USING DELTA PARTITIONED BY (d)`,
    );
    expect(await op.getSchema()).toBeNull(); // the driver's view of hasResultSet = false
    expect(await op.fetchAll()).toEqual([]);
    await op.close();
    const record = ep.log.statements.at(-1);
    expect(record).toMatchObject({ kind: 'ddl', state: 'finished' });
    expect(record?.duckdb).toContain(`CREATE TABLE IF NOT EXISTS ${TABLE} (d DATE, k STRING, n BIGINT, atualizado_em TIMESTAMP)`);
    expect(record?.duckdb).toContain(`COMMENT ON TABLE ${TABLE} IS '{"partitionColumns":["d"],"clusteringColumns":[]}'`);

    const ctas = `CREATE TABLE ${TABLE}_copy USING DELTA PARTITIONED BY (d) AS SELECT DATE '2024-03-01' AS d, 1 AS n`;
    expect(await rows(ctas)).toEqual([{ num_affected_rows: 1, num_inserted_rows: 1 }]);
    expect(ep.log.statements.at(-1)?.duckdb[0]).toBe(`CREATE TABLE ${TABLE}_copy AS SELECT DATE '2024-03-01' AS d, 1 AS n`);
    await rows(`DROP TABLE IF EXISTS ${TABLE}_copy`);
    expect(ep.log.statements.at(-1)).toMatchObject({ kind: 'ddl', state: 'finished' });
  });

  test('SELECT: DATE and TIMESTAMP as Date, BIGINT beyond 2^53, NULLs and Thrift type ids', async () => {
    const sql = `SELECT DATE '2024-03-14' AS d, TIMESTAMP '2024-03-14 21:30:00.250' AS ts, 9007199254740993::BIGINT AS big,
      7::INT AS i, 2.5::DOUBLE AS x, true AS b, 'São Paulo' AS s, CAST(12.34 AS DECIMAL(10,2)) AS dec, NULL::DATE AS nd,
      datediff(DATE '2024-03-14', DATE '2024-03-01') AS dd2, datediff('day', DATE '2024-03-01', DATE '2024-03-14') AS dd3`;
    const [row] = await rows(sql);
    expect(row?.d).toEqual(new Date('2024-03-14T00:00:00.000Z'));
    expect(row?.ts).toEqual(new Date('2024-03-14T21:30:00.250Z'));
    expect(row).toMatchObject({ i: 7, x: 2.5, b: true, s: 'São Paulo', dec: 12.34, nd: null, dd2: 13, dd3: 13 });
    // The driver's default narrows BIGINT to a JS number (lossy beyond 2^53)...
    expect(row?.big).toBe(Number(9007199254740993n));
    // ...preserveBigNumericPrecision keeps the exact value.
    const exact = await openDriverSession(ep, undefined, { preserveBigNumericPrecision: true });
    try {
      const op = await exact.session.executeStatement(sql);
      const [precise] = (await op.fetchAll()) as Array<Record<string, unknown>>;
      expect(precise).toMatchObject({ big: 9007199254740993n, dec: '12.34' });
      const schema = await op.getSchema();
      const types = Object.fromEntries((schema?.columns ?? []).map((c) => [c.columnName, c.typeDesc.types[0]?.primitiveEntry?.type]));
      expect(types).toMatchObject({
        d: T.TTypeId.DATE_TYPE,
        ts: T.TTypeId.TIMESTAMP_TYPE,
        big: T.TTypeId.BIGINT_TYPE,
        i: T.TTypeId.INT_TYPE,
      });
      expect(types).toMatchObject({
        x: T.TTypeId.DOUBLE_TYPE,
        b: T.TTypeId.BOOLEAN_TYPE,
        s: T.TTypeId.STRING_TYPE,
        dec: T.TTypeId.DECIMAL_TYPE,
      });
      await op.close();
    } finally {
      await exact.close();
    }
  });

  test('named parameters arrive typed and bind with the same DuckDB type', async () => {
    const sql =
      "SELECT typeof(:d) AS td, :d + 1 AS next_day, typeof(:ts) AS tts, typeof(:n) AS tn, typeof(:i) AS ti, typeof(:s) AS ts_, :s AS s, ':d' AS literal, :i::BIGINT AS cast_";
    const [row] = await rows(sql, {
      d: date('2024-03-14'),
      ts: new DBSQLParameter({ type: DBSQLParameterType.TIMESTAMP, value: new Date('2024-03-14T21:30:00Z') }),
      n: 9007199254740993n,
      i: 7,
      s: "D'Ávila",
    });
    expect(row).toMatchObject({
      td: 'DATE',
      next_day: new Date('2024-03-15T00:00:00Z'),
      tts: 'TIMESTAMP',
      tn: 'BIGINT',
      ti: 'INTEGER',
      ts_: 'VARCHAR',
    });
    expect(row).toMatchObject({ s: "D'Ávila", literal: ':d', cast_: 7 });
    const params = ep.log.statements.at(-1)?.parameters ?? [];
    expect(params.map((p) => [p.name, p.type, p.boundAs])).toEqual([
      ['d', 'DATE', 'DATE'],
      ['ts', 'TIMESTAMP', 'TIMESTAMP'],
      ['n', 'BIGINT', 'BIGINT'],
      ['i', 'INTEGER', 'INTEGER'],
      ['s', 'STRING', 'VARCHAR'],
    ]);
    expect(params[0]?.value).toBe('2024-03-14');

    // Below protocol V8 the driver does not send parameters at all.
    ep.configure({ protocolVersion: T.TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8 - 1 });
    const old = await openDriverSession(ep);
    try {
      const op = await old.session.executeStatement('SELECT :d AS d', { namedParameters: { d: date('2024-03-14') } });
      expect(await settled(op.fetchAll())).toMatchObject({ response: { sqlState: '42P02' } });
      expect(ep.log.statements.at(-1)?.parameters).toEqual([]);
    } finally {
      await old.close();
    }
  });

  test('large results page through FetchResults, with and without direct results', async () => {
    ep.configure({ maxRowsPerFetch: 1000, ...DIRECT_RESULTS_ALWAYS });
    const before = ep.log.callsOf('FetchResults').length;
    const all = await rows('SELECT range AS i FROM range(3500) ORDER BY i');
    expect(all).toHaveLength(3500);
    expect(all[3499]).toEqual({ i: 3499 });
    expect(ep.log.callsOf('FetchResults').length - before).toBe(3); // first page came with ExecuteStatement

    ep.configure({ directResults: false, directResultsWaitMs: DEFAULT_SETTINGS.directResultsWaitMs });
    const polled = await rows('SELECT range AS i FROM range(2500)');
    expect(polled).toHaveLength(2500);
    expect(ep.log.methods().slice(-7)).toEqual([
      'ExecuteStatement',
      'GetOperationStatus',
      'GetResultSetMetadata',
      'FetchResults',
      'FetchResults',
      'FetchResults',
      'CloseOperation',
    ]);
    ep.configure({ maxRowsPerFetch: 10_000 });
  });

  test('INSERT … REPLACE WHERE replaces atomically; a failing or non-conforming insert keeps the old rows', async () => {
    await rows(`INSERT INTO ${TABLE} VALUES (DATE '2024-03-01', 'a', 1, TIMESTAMP '2024-03-01 06:00:00'),
      (DATE '2024-03-02', 'a', 2, TIMESTAMP '2024-03-02 06:00:00'), (DATE '2024-03-03', 'a', 3, TIMESTAMP '2024-03-03 06:00:00')`);
    const replace = (query: string): Promise<Array<Record<string, unknown>>> =>
      rows(`INSERT INTO ${TABLE} REPLACE WHERE d >= :start AND d <= :end\n${query}`, {
        start: date('2024-03-02'),
        end: date('2024-03-03'),
      });
    const snapshot = async (): Promise<unknown[]> =>
      (await ep.duckdb(`SELECT d::VARCHAR AS d, n::INTEGER AS n FROM ${TABLE} ORDER BY d, n`)).map((r) => [r.d, r.n]);

    const counts = await replace(
      "WITH novos AS (SELECT CAST(:start AS DATE) AS d, 'b' AS k, 20 AS n) SELECT d, k, n, TIMESTAMP '2024-03-04 06:00:00' FROM novos",
    );
    expect(counts).toEqual([{ num_affected_rows: 1, num_inserted_rows: 1 }]);
    expect(await snapshot()).toEqual([
      ['2024-03-01', 1],
      ['2024-03-02', 20],
    ]);
    const record = ep.log.statements.at(-1);
    expect(record).toMatchObject({ kind: 'replace', state: 'finished', replaced: { deleted: 2, inserted: 1 } });
    expect(record?.duckdb[0]).toBe('BEGIN TRANSACTION');
    expect(record?.duckdb.at(-1)).toBe('COMMIT');

    const failing = await settled(replace("SELECT CAST('not a date' AS DATE), 'c', 30, TIMESTAMP '2024-03-04 06:00:00'"));
    expect(failing).toMatchObject({ response: { sqlState: '22018' } });
    const misplaced = await settled(replace("SELECT DATE '2024-03-09', 'c', 30, TIMESTAMP '2024-03-04 06:00:00'"));
    expect(misplaced).toMatchObject({ response: { sqlState: '44000' } });
    expect(ep.log.statements.at(-1)?.duckdb.at(-1)).toBe('ROLLBACK');
    expect(await snapshot()).toEqual([
      ['2024-03-01', 1],
      ['2024-03-02', 20],
    ]);
    expect(await rows(`DELETE FROM ${TABLE} WHERE d < :cutoff`, { cutoff: date('2024-03-02') })).toEqual([{ num_affected_rows: 1 }]);
  });

  test('VACUUM and OPTIMIZE are validated and recorded; a short retention is refused as on Delta', async () => {
    expect(await rows(`VACUUM ${TABLE} RETAIN 168 HOURS`)).toEqual([{ path: `dbfs:/local/${TABLE}` }]);
    expect(ep.log.statements.at(-1)?.maintenance).toEqual({ table: TABLE, retainHours: 168 });
    await rows(`OPTIMIZE ${TABLE}`);
    expect(ep.log.statements.at(-1)).toMatchObject({ kind: 'optimize', state: 'finished' });
    const tooShort = (await settled(rows(`VACUUM ${TABLE} RETAIN 0 HOURS`))) as { message?: string };
    expect(tooShort.message).toContain('low retention');
    await rows('SET spark.databricks.delta.retentionDurationCheck.enabled = false');
    await rows(`VACUUM ${TABLE} RETAIN 0 HOURS`);
    expect(ep.log.statements.at(-1)).toMatchObject({ state: 'finished', maintenance: { retainHours: 0 } });
    await rows('SET spark.databricks.delta.retentionDurationCheck.enabled = true');
    expect(await settled(rows('VACUUM hs_franquia.gold_connect_bot.missing RETAIN 168 HOURS'))).toMatchObject({
      response: { sqlState: '42P01' },
    });
  });

  test('constructs the endpoint does not translate fail loudly', async () => {
    for (const sql of [
      `MERGE INTO ${TABLE} t USING ${TABLE} s ON t.d = s.d WHEN MATCHED THEN DELETE`,
      `INSERT OVERWRITE ${TABLE} SELECT * FROM ${TABLE}`,
      'SELECT 10L',
      'SELECT 1; SELECT 2',
    ]) {
      const error = (await settled(rows(sql))) as { errorCode?: string; response?: { sqlState?: string; displayMessage?: string } };
      expect(error.errorCode, sql).toBe('ERROR');
      expect(error.response?.sqlState, sql).toBe('42601');
      expect(error.response?.displayMessage, sql).toContain('LOCAL_ENDPOINT_UNSUPPORTED');
    }
    expect(ep.log.statements.at(-1)).toMatchObject({ state: 'error', executed: false });
  });

  test('injected statement error: ERROR_STATE with the given SQLSTATE', async () => {
    ep.faults.statementError({ match: /crm_metrics_daily/, sqlState: '40001', message: '[DELTA_CONCURRENT_APPEND] concurrent update' });
    const error = await settled(rows('SELECT 1 AS crm_metrics_daily'));
    expect(error?.constructor.name).toBe('OperationStateError');
    expect(error).toMatchObject({ message: '[DELTA_CONCURRENT_APPEND] concurrent update', response: { sqlState: '40001' } });
  });

  test('HTTP 401 (bad token), 503 on ExecuteStatement (not retried), 429 on polling (retried)', async () => {
    const denied = await settled(openDriverSession(ep, undefined, { token: 'dapi-wrong' }));
    expect(denied).toBeInstanceOf(TApplicationException);
    expect(denied).toMatchObject({ name: 'THTTPException', statusCode: 401 });
    expect(ep.log.calls.at(-1)).toMatchObject({ method: 'OpenSession', authorized: false, httpStatus: 401 });

    ep.faults.httpError({ method: 'ExecuteStatement', status: 503 });
    const unavailable = await settled(db.session.executeStatement('SELECT 1'));
    expect(unavailable).toMatchObject({ name: 'THTTPException', statusCode: 503 });
    expect(ep.log.calls.at(-1)).toMatchObject({ method: 'ExecuteStatement', httpStatus: 503, fault: 'httpError 503' });

    ep.configure({ directResults: false });
    ep.faults.httpError({ method: 'GetOperationStatus', status: 429, times: 2 });
    expect(await rows('SELECT 42 AS answer')).toEqual([{ answer: 42 }]);
    expect(
      ep.log
        .callsOf('GetOperationStatus')
        .slice(-3)
        .map((c) => c.httpStatus),
    ).toEqual([429, 429, 200]);
  });

  test('a hung call answers once released', async () => {
    const hang = ep.faults.hang({ method: 'ExecuteStatement' });
    const pending = db.session.executeStatement('SELECT 42 AS answer');
    await hang.hit;
    expect(ep.log.calls.at(-1)).toMatchObject({ method: 'ExecuteStatement', httpStatus: 0, fault: 'hang' });
    hang.release();
    const op = await pending;
    expect(await op.fetchAll()).toEqual([{ answer: 42 }]);
    await op.close();
  });

  test('cancel reaches the endpoint and interrupts the running DuckDB statement', async () => {
    const began = Date.now();
    const op = await db.session.executeStatement(HEAVY);
    const fetching = settled(op.fetchAll());
    const record = ep.log.statements.at(-1);
    await until(() => record?.executed === true, 'the statement to run in DuckDB');
    await op.cancel();
    expect(await fetching).toMatchObject({ errorCode: 'CANCELED' });
    await ep.idle();
    expect(record).toMatchObject({ state: 'canceled', interrupted: true });
    expect(ep.log.callsOf('CancelOperation').at(-1)?.operationId).toBe(record?.operationId);
    expect(Date.now() - began).toBeLessThan(5000);
    expect(await rows('SELECT 1 AS still_usable')).toEqual([{ still_usable: 1 }]);
  });

  test('a slow statement is cancelled before it runs; STATEMENT_TIMEOUT ends one as TIMEDOUT', async () => {
    const slow = ep.faults.slowStatement({ match: 'slow_marker', delayMs: Infinity });
    const op = await db.session.executeStatement('SELECT 1 AS slow_marker');
    await slow.hit;
    const fetching = settled(op.fetchAll());
    await op.cancel();
    expect(await fetching).toMatchObject({ errorCode: 'CANCELED' });
    expect(ep.log.statements.at(-1)).toMatchObject({ state: 'canceled', executed: false, fault: 'slowStatement' });

    await rows('SET STATEMENT_TIMEOUT = 1');
    ep.faults.slowStatement({ match: 'slow_marker', delayMs: Infinity });
    const timedOut = await settled(rows('SELECT 2 AS slow_marker'));
    expect(timedOut).toMatchObject({ errorCode: 'TIMEOUT', response: { sqlState: '57KD0' } });
    await rows('SET STATEMENT_TIMEOUT = 60');
  });

  test('sessions and sockets close cleanly', async () => {
    const sockets = (): number =>
      process.getActiveResourcesInfo().filter((r) => r === 'TLSWrap' || r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
    const baseline = sockets();
    const other = await start({ settings: DIRECT_RESULTS_ALWAYS });
    const client = await openDriverSession(other, { initialCatalog: 'hs_franquia' });
    const op = await client.session.executeStatement('SELECT 1 AS one');
    expect(await op.fetchAll()).toEqual([{ one: 1 }]);
    await client.close();
    expect(other.log.methods()).toEqual(['OpenSession', 'ExecuteStatement', 'CloseSession']);
    expect(other.openSessions()).toBe(0);
    await other.close();
    await until(() => sockets() <= baseline, 'sockets to close');
  });
});
