/**
 * Run the local Databricks SQL endpoint on a DuckDB file and print the
 * environment that points the service at it.
 *
 *   npx tsc -p tools/databricks-local/tsconfig.standalone.json
 *   node dist/databricks-local/standalone.js --duckdb ./data/crm.duckdb
 *
 * Options: --duckdb <file> (default ./data/crm.duckdb; ':memory:' allowed),
 * --catalog <name> (default hs_franquia), --port <n> (default any free port),
 * --token <pat> (default random), --ca-dir <folder> (where ca.pem is written;
 * default a fresh temporary folder), --help. Stops on Ctrl-C / SIGTERM.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeCaCertFile } from './certs.js';
import { start, type EndpointOptions } from './server.js';

interface Args {
  duckdb: string;
  catalog: string;
  port: number | undefined;
  token: string | undefined;
  caDir: string | undefined;
}

const USAGE = 'usage: npm run databricks:local -- [--duckdb FILE] [--catalog NAME] [--port N] [--token PAT] [--ca-dir DIR]';
const HELP = `${USAGE}

Serves a DuckDB file as a local Databricks SQL endpoint (the driver's Thrift
protocol over HTTPS, self-signed certificate) and prints the environment that
points the service at it. Ctrl-C stops it.

  --duckdb FILE   DuckDB file to serve (default ./data/crm.duckdb; ':memory:' allowed)
  --catalog NAME  catalog the file is attached as (default hs_franquia)
  --port N        port to listen on (default any free port)
  --token PAT     token clients must send (default random)
  --ca-dir DIR    folder where ca.pem is written (default a fresh temporary folder)

Example:
  npm run databricks:local -- --duckdb ./data/crm.duckdb --port 8443`;

export class HelpRequested extends Error {}

export function parseArgs(argv: readonly string[]): Args {
  const args: Args = { duckdb: './data/crm.duckdb', catalog: 'hs_franquia', port: undefined, token: undefined, caDir: undefined };
  if (argv.includes('--help') || argv.includes('-h')) throw new HelpRequested(HELP);
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag ?? ''} needs a value (${USAGE})`);
    if (flag === '--duckdb') args.duckdb = value;
    else if (flag === '--catalog') args.catalog = value;
    else if (flag === '--port') args.port = Number(value);
    else if (flag === '--token') args.token = value;
    else if (flag === '--ca-dir') args.caDir = value;
    else throw new Error(`unknown option ${flag ?? ''} (${USAGE})`);
  }
  if (args.port !== undefined && !(Number.isInteger(args.port) && args.port >= 0 && args.port < 65536)) {
    throw new Error(`--port must be a port number from 0 to 65535 (${USAGE})`);
  }
  return args;
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const args = parseArgs(argv);
  const duckdbPath = args.duckdb === ':memory:' ? args.duckdb : resolve(args.duckdb);
  if (duckdbPath !== ':memory:') mkdirSync(dirname(duckdbPath), { recursive: true });
  const options: EndpointOptions = {
    duckdbPath,
    catalog: args.catalog,
    ...(args.port !== undefined ? { port: args.port } : {}),
    ...(args.token !== undefined ? { token: args.token } : {}),
  };
  const endpoint = await start(options);
  if (args.caDir) mkdirSync(args.caDir, { recursive: true });
  const caFile = writeCaCertFile(endpoint.caCert, args.caDir);

  console.log(`Local Databricks SQL endpoint on ${endpoint.url} (DuckDB: ${duckdbPath} as catalog ${args.catalog})`);
  console.log('Point the service at it with:');
  console.log('');
  console.log('WAREHOUSE=databricks');
  console.log(`DATABRICKS_HOST=${endpoint.host}:${endpoint.port}`);
  console.log(`DATABRICKS_HTTP_PATH=${endpoint.path}`);
  console.log(`DATABRICKS_TOKEN=${endpoint.token}`);
  console.log(`DATABRICKS_CA_CERT_FILE=${caFile}`);
  console.log('');
  console.log('Ctrl-C stops it.');

  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await endpoint.close();
  console.log('Stopped.');
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  main().catch((error: unknown) => {
    if (error instanceof HelpRequested) {
      console.log(error.message);
      return;
    }
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  });
}
