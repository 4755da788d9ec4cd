/**
 * A local Databricks SQL endpoint: TCLIService (Thrift binary protocol over
 * HTTPS POST, as @databricks/sql's Thrift backend speaks it) executed on
 * DuckDB, with fault injection and a log of everything received.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeCertificate } from './certs.js';
import { DuckEngine } from './engine.js';
import { Faults } from './faults.js';
import { closeSession, makeHandler, type EndpointSettings, type EndpointState } from './handler.js';
import { EndpointLog, safeHeaders, type CallRecord } from './log.js';
import { T, TCLIService, peekMessage, thrift } from './thrift.js';

export interface EndpointOptions {
  /** DuckDB database file, attached as `catalog`; default ':memory:'. */
  readonly duckdbPath?: string;
  /** Catalog name of the attached database; default 'hs_franquia'. */
  readonly catalog?: string;
  /** The personal access token the endpoint accepts; default a random `dapi…` token. */
  readonly token?: string;
  /** HTTP path of the warehouse; default '/sql/1.0/warehouses/local'. */
  readonly httpPath?: string;
  /** Port on 127.0.0.1; default 0 (any free port). */
  readonly port?: number;
  /** DuckDB SQL run once at start, after attaching (schemas, seed data). */
  readonly setupSql?: readonly string[];
  readonly settings?: Partial<EndpointSettings>;
}

export interface LocalDatabricks {
  readonly host: string;
  readonly port: number;
  /** The warehouse HTTP path, e.g. /sql/1.0/warehouses/local. */
  readonly path: string;
  readonly token: string;
  /** PEM of the self-signed certificate: pass it as the driver's `customCaCert`. */
  readonly caCert: string;
  /** https://127.0.0.1:PORT/sql/1.0/warehouses/local */
  readonly url: string;
  readonly log: EndpointLog;
  readonly faults: Faults;
  /** Change paging / direct-results / protocol settings for the calls that follow. */
  configure(settings: Partial<EndpointSettings>): void;
  /** Run DuckDB SQL directly against the same database (for assertions). */
  duckdb(sql: string): Promise<Array<Record<string, unknown>>>;
  /** Resolves when no DuckDB statement is running or queued. */
  idle(): Promise<void>;
  /** Sessions opened and not yet closed. */
  openSessions(): number;
  close(): Promise<void>;
}

export const DEFAULT_SETTINGS: EndpointSettings = {
  maxRowsPerFetch: 10_000,
  arrowBatchRows: 4_096,
  directResults: true,
  directResultsWaitMs: 100,
  protocolVersion: T.TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8,
  vacuumRetentionCheck: true,
};

const FEATURE_FLAGS_PATH = /^\/api\/2\.0\/connector-service\/feature-flags\//;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function processThrift(state: EndpointState, call: CallRecord, body: Buffer): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const processor = new TCLIService.Processor(makeHandler(state, call));
    try {
      thrift.TBufferedTransport.receiver((transport) => {
        const input = new thrift.TBinaryProtocol(transport);
        const output = new thrift.TBinaryProtocol(new thrift.TBufferedTransport(undefined, resolve));
        processor.process(input, output);
      })(body);
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

function send(
  res: ServerResponse,
  call: CallRecord | undefined,
  status: number,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  if (call) call.httpStatus = status;
  if (res.destroyed) return;
  const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/x-thrift';
  res.writeHead(status, { 'Content-Type': type, ...headers });
  res.end(body);
}

export async function start(options: EndpointOptions = {}): Promise<LocalDatabricks> {
  const token = options.token ?? `dapi${randomBytes(16).toString('hex')}`;
  const httpPath = options.httpPath ?? '/sql/1.0/warehouses/local';
  const tls = await makeCertificate();
  const engine = await DuckEngine.open({
    path: options.duckdbPath ?? ':memory:',
    catalog: options.catalog ?? 'hs_franquia',
    setupSql: options.setupSql ?? [],
  });
  const state: EndpointState = {
    engine,
    faults: new Faults(),
    log: new EndpointLog(),
    settings: { ...DEFAULT_SETTINGS, ...options.settings },
    sessions: new Map(),
    operations: new Map(),
  };
  const inFlight = new Set<Promise<void>>();
  let closing = false;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const authorized = req.headers.authorization === `Bearer ${token}`;
    const common = { headers: safeHeaders(req.headers), userAgent: req.headers['user-agent'], authorized };
    if (path !== httpPath) {
      const call = state.log.call({ method: `${req.method ?? 'GET'} ${path}`, ...common });
      if (FEATURE_FLAGS_PATH.test(path))
        send(res, call, 200, JSON.stringify({ flags: [], ttl_seconds: 3600 }), { 'Content-Type': 'application/json' });
      else send(res, call, 404, `No SQL warehouse at ${path}`);
      return;
    }
    const message = peekMessage(body);
    const call = state.log.call({ method: message?.name ?? 'unknown', ...common });
    if (req.method !== 'POST' || !message) return send(res, call, 400, 'Expected a Thrift binary-protocol POST');
    const httpFault = state.faults.takeHttpError(call.method);
    if (httpFault) {
      call.fault = `httpError ${httpFault.status}`;
      const headers: Record<string, string> =
        httpFault.retryAfterSeconds !== undefined ? { 'Retry-After': String(httpFault.retryAfterSeconds) } : {};
      return send(res, call, httpFault.status, httpFault.body ?? `Injected HTTP ${httpFault.status}`, headers);
    }
    const hang = state.faults.takeHang(call.method);
    if (hang) {
      call.fault = 'hang';
      if ((await hang) === 'closed' || closing) {
        res.socket?.destroy();
        return;
      }
    }
    if (!authorized) return send(res, call, 401, 'Unauthorized: invalid or missing access token');
    send(res, call, 200, await processThrift(state, call, body));
  }

  const server: Server = createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, (req, res) => {
    const work = serve(req, res).catch((error: unknown) => send(res, undefined, 500, `Local endpoint error: ${String(error)}`));
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  });
  // Longer than the driver's idle gaps, so kept-alive sockets are not cut mid-test.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const idle = async (): Promise<void> => {
    await Promise.all([...state.sessions.values()].map((s) => s.drained()));
  };

  return {
    host: '127.0.0.1',
    port,
    path: httpPath,
    token,
    caCert: tls.cert,
    url: `https://127.0.0.1:${port}${httpPath}`,
    log: state.log,
    faults: state.faults,
    configure: (settings) => {
      state.settings = { ...state.settings, ...settings };
    },
    duckdb: (sql) => engine.query(sql),
    idle,
    openSessions: () => state.sessions.size,
    close: async () => {
      if (closing) return;
      closing = true;
      state.faults.closeAll();
      await Promise.all([...state.sessions.values()].map((s) => closeSession(state, s)));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await Promise.allSettled([...inFlight]);
      await closed;
      engine.close();
    },
  };
}
