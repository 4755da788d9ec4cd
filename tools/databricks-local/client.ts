/**
 * How the real @databricks/sql driver connects to the local endpoint: the
 * Thrift backend (the default; the kernel backend is only used with the
 * internal `useKernel: true`), HTTPS to 127.0.0.1:PORT, the self-signed
 * certificate trusted through `customCaCert`.
 */
import { DBSQLClient } from '@databricks/sql';
import type { ConnectionOptions, OpenSessionRequest } from '@databricks/sql/dist/contracts/IDBSQLClient.js';
import type { LocalDatabricks } from './server.js';

/** The driver's ConnectionOptions for the endpoint (overrides win). */
export function driverOptions(endpoint: LocalDatabricks, overrides: Partial<ConnectionOptions> = {}): ConnectionOptions {
  return {
    host: endpoint.host,
    port: endpoint.port,
    path: endpoint.path,
    token: endpoint.token,
    customCaCert: endpoint.caCert,
    // Fast retries keep fault tests short; the driver's defaults are 1 s / 60 s.
    retryDelayMin: 10,
    retryDelayMax: 100,
    ...overrides,
  } as ConnectionOptions;
}

/** A DBSQLClient that logs nothing (the default logger writes to the console). */
export const quietClient = (): DBSQLClient => new DBSQLClient({ logger: { log: () => undefined } });

/** The driver's session type (IDBSQLSession). */
export type DriverSessionHandle = Awaited<ReturnType<DBSQLClient['openSession']>>;

export interface DriverSession {
  readonly client: DBSQLClient;
  readonly session: DriverSessionHandle;
  close(): Promise<void>;
}

/** Connect the real driver and open a session (default namespace hs_franquia.gold_connect_bot). */
export async function openDriverSession(
  endpoint: LocalDatabricks,
  request: OpenSessionRequest = { initialCatalog: 'hs_franquia', initialSchema: 'gold_connect_bot' },
  overrides: Partial<ConnectionOptions> = {},
): Promise<DriverSession> {
  const client = quietClient();
  await client.connect(driverOptions(endpoint, overrides));
  try {
    const session = await client.openSession(request);
    return { client, session, close: () => client.close() };
  } catch (error) {
    await client.close();
    throw error;
  }
}
