// Runs what the image, docker-compose.yml and the Kubernetes Deployments
// run, without Docker or a cluster: each role's exact command line (the
// image's ENTRYPOINT without tini, plus the manifest's command/args) with its
// environment (compose's resolved `environment`; the rendered ConfigMap and
// Secrets, placeholders replaced by test values), from a folder laid out
// like the image's /app (production dependencies only). Redis is the local
// one under a unique QUEUE_PREFIX; the warehouse is a temporary DuckDB file;
// HOST and PORT are set to a free port on 127.0.0.1. Each role must answer
// its health checks and probes as declared, then exit 0 on SIGTERM.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';
import { cleanupPrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import {
  asArray,
  asRecord,
  asString,
  asStrings,
  buildImageStage,
  composeArgv,
  composeEnvironment,
  composeService,
  composeStack,
  containerArgv,
  dig,
  envText,
  execForm,
  freePort,
  isRecord,
  kustomizeBuild,
  lastInstruction,
  runCheckCommand,
  runtimeStage,
  startRole,
  rolePort,
  waitForHttp,
  waitForOutput,
  ROOT,
  type ComposeStack,
  type ImageStage,
  type RoleProcess,
} from './support.js';

const ROLES = ['scheduler', 'worker', 'web'] as const;
const START_TIMEOUT_MS = 45_000;

let stage: ImageStage | undefined;
let scratch = '';
const running = new Set<RoleProcess>();

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'crm-roles-'));
});

/** The folder laid out like the image's /app, built on first use. */
function imageStage(): ImageStage {
  return (stage ??= buildImageStage());
}

afterEach(async () => {
  // A failed test leaves nothing running.
  for (const role of running) await role.stop(1_000);
  running.clear();
});

afterAll(() => {
  stage?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** A role as its container runs it; a HEALTH_PORT the image or manifest sets becomes a free port here too. */
async function start(name: string, argv: string[], env: Record<string, string>): Promise<RoleProcess> {
  const all = { ...imageStage().env, ...env };
  if (all['HEALTH_PORT']) all['HEALTH_PORT'] = String(await freePort());
  const role = startRole(name, argv, all, imageStage().dir);
  running.add(role);
  return role;
}

async function stopAll(roles: RoleProcess[], graceMs: number): Promise<void> {
  // The probes answer while the roles are still starting; SIGTERM once every role runs.
  for (const role of roles) await waitForOutput(role, /crm-materializer is running/, START_TIMEOUT_MS);
  const codes = await Promise.all(roles.map((r) => r.stop(graceMs)));
  roles.forEach((r, i) => {
    running.delete(r);
    expect(codes[i], `${r.name} exits 0 on SIGTERM:\n${r.output()}`).toBe(0);
  });
}

function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

/**
 * Where this role's "container" keeps its own files (DuckDB file not on a
 * shared volume), its database created with `init` as an operator of a
 * DuckDB deployment would: only `init` and `demo seed` create the file.
 */
function containerDir(name: string): string {
  const dir = join(scratch, `${name}-${randomBytes(3).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  const init = spawnSync(process.execPath, [BIN, 'init'], {
    env: { PATH: process.env.PATH ?? '', DUCKDB_PATH: join(dir, 'crm.duckdb'), LOG_LEVEL: 'silent' },
  });
  expect(init.status, init.stderr.toString()).toBe(0);
  return dir;
}

describe('the image', () => {
  it('without credentials, the default command (web role included) refuses to start and says which to set', async () => {
    const prefix = uniquePrefix();
    const role = await start('image-without-credentials', containerArgv({}), {
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
    });
    try {
      const code = await Promise.race([
        new Promise<number | null>((resolve) => role.child.once('exit', resolve)),
        new Promise<string>((resolve) => setTimeout(() => resolve('still running after 20 s'), 20_000).unref()),
      ]);
      expect(code, role.output()).toBe(2);
      // It names the credentials to set (the board's, or the read API's).
      expect(role.output()).toMatch(/BOARD_USER|BOARD_TOKEN|API_KEYS/);
    } finally {
      await role.stop(1_000);
      running.delete(role);
      await cleanupPrefix(prefix);
    }
  });

  it('the default command runs every role, passes the HEALTHCHECK and stops on SIGTERM', async () => {
    const prefix = uniquePrefix();
    const port = String(await freePort());
    const password = randomBytes(9).toString('base64url');
    // As `docker run … image init` once on a new volume (only init and demo seed create the DuckDB
    // file), then `docker run -e REDIS_URL -e BOARD_USER -e BOARD_PASSWORD -e API_KEYS image`: the rest
    // are the defaults (the DuckDB file in /app/data, which the Dockerfile creates).
    const init = spawnSync(process.execPath, [BIN, 'init'], {
      cwd: imageStage().dir,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent' },
    });
    expect(init.status, init.stderr.toString()).toBe(0);
    const credentials = { BOARD_USER: 'ops', BOARD_PASSWORD: password, API_KEYS: randomBytes(24).toString('base64url') };
    const role = await start('image', containerArgv({}), {
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      HOST: '127.0.0.1',
      PORT: port,
      ...credentials,
    });
    const checkEnv = { PORT: port, HEALTH_PORT: String(rolePort(role, 'health')) };
    try {
      await waitForHttp(role, '/healthz', 200, START_TIMEOUT_MS);
      const check = lastInstruction(runtimeStage(), 'HEALTHCHECK')!.text;
      const argv = execForm(check.slice(check.indexOf('CMD') + 3).trim(), 'HEALTHCHECK CMD');
      await waitForHttp(role, '/healthz', 200, START_TIMEOUT_MS, {}, 'health');
      const result = runCheckCommand(argv, checkEnv, imageStage().dir);
      expect(result.status, `HEALTHCHECK exit code: ${result.stdout}${result.stderr}`).toBe(0);
      await waitForHttp(role, '/readyz', 200, START_TIMEOUT_MS);
      await waitForHttp(role, '/admin/queues', 200, 10_000, basic('ops', password));
      expect(existsSync(join(imageStage().dir, 'data'))).toBe(true);
      await stopAll([role], 60_000);
      // The health check fails once the process is gone.
      expect(runCheckCommand(argv, checkEnv, imageStage().dir).status).not.toBe(0);
    } finally {
      await cleanupPrefix(prefix);
    }
  }, 90_000);
});

/**
 * Starts the stack's application services as compose would: each one's
 * command line and environment, its own "container" folder for DUCKDB_PATH
 * (/app/data is the duckdb-data volume only where the service mounts it).
 */
async function startCompose(
  stack: ComposeStack,
  prefix: string,
  replace: Record<string, string>,
): Promise<{ roles: RoleProcess[]; names: string[]; dirs: Record<string, string> }> {
  const names = stack.active.filter((s) => ['web', 'scheduler', 'worker'].includes(s));
  const roles: RoleProcess[] = [];
  const dirs: Record<string, string> = {};
  for (const name of names) {
    const env = composeEnvironment(stack, name);
    expect(env['REDIS_URL']).toBe('redis://redis:6379');
    expect(env['DUCKDB_PATH']).toBe('/app/data/crm.duckdb');
    dirs[name] = containerDir(name);
    const port = String(await freePort());
    const overrides = { REDIS_URL, QUEUE_PREFIX: prefix, DUCKDB_PATH: join(dirs[name], 'crm.duckdb'), HOST: '127.0.0.1', PORT: port };
    const replaced = Object.fromEntries(Object.entries(replace).filter(([k]) => k in env));
    roles.push(await start(`compose ${name}`, composeArgv(stack, name), { ...env, ...replaced, ...overrides }));
  }
  return { roles, names, dirs };
}

/** Every service answers /healthz, passes its compose health check, then /readyz. */
async function expectHealthy(stack: ComposeStack, names: string[], roles: RoleProcess[]): Promise<void> {
  for (const [i, name] of names.entries()) {
    const role = roles[i]!;
    await waitForHttp(role, '/healthz', 200, START_TIMEOUT_MS);
    const test = asStrings(dig(composeService(stack, name), 'healthcheck', 'test'), `${name} healthcheck`);
    expect(test[0]).toBe('CMD');
    const checkEnv = { PORT: String(role.port), ...(role.healthPort === undefined ? {} : { HEALTH_PORT: String(role.healthPort) }) };
    const result = runCheckCommand(test.slice(1), checkEnv, imageStage().dir);
    expect(result.status, `${name} healthcheck: ${result.stdout}${result.stderr}`).toBe(0);
  }
  for (const role of roles) await waitForHttp(role, '/readyz', 200, START_TIMEOUT_MS);
}

function stopGraceMs(stack: ComposeStack, name: string): number {
  const m = /^(\d+)s$/.exec(asString(composeService(stack, name)['stop_grace_period'], 'stop_grace_period'));
  return m ? Number(m[1]) * 1000 : 60_000;
}

describe('docker-compose.yml, as `docker compose up` runs it', () => {
  it('with no settings: web runs every role on a seeded DuckDB file, passes its health check and stops on SIGTERM', async () => {
    const stack = composeStack(undefined);
    const prefix = uniquePrefix();
    let roles: RoleProcess[] = [];
    try {
      const started = await startCompose(stack, prefix, {});
      roles = started.roles;
      expect(started.names).toEqual(['web']);
      await expectHealthy(stack, started.names, roles);
      const web = roles[0]!;
      // --demo: demo data seeded into the volume's file, today's run planned,
      // and (no credentials set) a login made up and printed.
      expect(web.output()).toMatch(/seeding the small demo data set/);
      expect(web.output()).toMatch(/today's run \S+ (is|was) queued/);
      expect(existsSync(join(started.dirs['web']!, 'crm.duckdb'))).toBe(true);
      const login = /Bull Board login for this run: user '([^']+)', password '([^']+)'/.exec(web.output());
      expect(login, web.output()).not.toBeNull();
      await waitForHttp(web, '/admin/queues', 401, 5_000);
      await waitForHttp(web, '/admin/queues', 200, 5_000, basic(login![1]!, login![2]!));
      await stopAll(roles, stopGraceMs(stack, 'web'));
    } finally {
      for (const role of roles) await role.stop(1_000);
      await cleanupPrefix(prefix);
    }
  }, 120_000);

  it('with .env.example (Databricks swapped for DuckDB files): web, scheduler and worker start, pass their health checks and stop on SIGTERM', async () => {
    const stack = composeStack(join(ROOT, '.env.example'));
    const prefix = uniquePrefix();
    const password = randomBytes(9).toString('base64url');
    let roles: RoleProcess[] = [];
    try {
      // The placeholders, replaced as an operator would; the engine swapped.
      const started = await startCompose(stack, prefix, {
        WAREHOUSE: 'duckdb',
        BOARD_USER: 'ops',
        BOARD_PASSWORD: password,
        API_KEYS: randomBytes(24).toString('base64url'),
      });
      roles = started.roles;
      expect(started.names.sort()).toEqual(['scheduler', 'web', 'worker']);
      const ordered = started.names.map((n, i) => [n, roles[i]!] as const);
      await expectHealthy(stack, started.names, roles);
      const web = ordered.find(([n]) => n === 'web')![1];
      await waitForHttp(web, '/admin/queues', 401, 5_000);
      await waitForHttp(web, '/admin/queues', 200, 5_000, basic('ops', password));
      for (const [name, role] of ordered) if (name !== 'web') await waitForHttp(role, '/admin/queues', 404, 5_000);
      await stopAll(roles, stopGraceMs(stack, 'worker'));
    } finally {
      for (const role of roles) await role.stop(1_000);
      await cleanupPrefix(prefix);
    }
  }, 120_000);
});

describe('k8s/overlays/example, as the Deployments run it (Databricks swapped for a DuckDB file)', () => {
  it('scheduler, worker and web start with their args and environment, answer their probes and stop on SIGTERM', async () => {
    const objects = kustomizeBuild('k8s/overlays/example');
    const prefix = uniquePrefix();
    const boardPassword = randomBytes(9).toString('base64url');
    // The Secrets' placeholders, replaced as an operator would.
    const secretValues: Record<string, string> = {
      REDIS_URL,
      BOARD_USER: 'ops',
      BOARD_PASSWORD: boardPassword,
      API_KEYS: randomBytes(24).toString('base64url'),
    };
    const roles: RoleProcess[] = [];
    const containers: Record<string, unknown>[] = [];
    try {
      for (const name of ROLES) {
        const deployment = objects.find((o) => o['kind'] === 'Deployment' && dig(o, 'metadata', 'name') === `crm-materializer-${name}`);
        const container = asRecord(dig(deployment, 'spec', 'template', 'spec', 'containers', 0), `${name} container`);
        containers.push(container);
        const env: Record<string, string> = {};
        for (const source of asArray(container['envFrom'] ?? [], 'envFrom')) {
          const kind = isRecord(dig(source, 'configMapRef')) ? 'ConfigMap' : 'Secret';
          const ref = dig(source, kind === 'ConfigMap' ? 'configMapRef' : 'secretRef', 'name');
          const obj = objects.find((o) => o['kind'] === kind && dig(o, 'metadata', 'name') === ref);
          const data = asRecord(obj?.['data'] ?? obj?.['stringData'], `${kind}/${String(ref)}`);
          for (const [k, v] of Object.entries(data)) env[k] = kind === 'Secret' && k in secretValues ? secretValues[k]! : envText(v);
        }
        for (const e of asArray(container['env'] ?? [], 'env')) env[asString(dig(e, 'name'), 'env name')] = envText(dig(e, 'value'));
        expect(env['WAREHOUSE']).toBe('databricks');
        const ports = asArray(container['ports'], 'ports');
        expect(String(dig(ports, 0, 'containerPort'))).toBe(env['PORT']);
        expect(String(dig(ports, 1, 'containerPort'))).toBe(env['HEALTH_PORT']);
        const argv = containerArgv({
          entrypoint: container['command'] === undefined ? undefined : asStrings(container['command'], 'command'),
          cmd: asStrings(container['args'], 'args'),
        });
        const port = String(await freePort());
        roles.push(
          await start(`k8s ${name}`, argv, {
            ...env,
            QUEUE_PREFIX: prefix,
            WAREHOUSE: 'duckdb',
            DUCKDB_PATH: join(containerDir(name), 'crm.duckdb'),
            HOST: '127.0.0.1',
            PORT: port,
          }),
        );
      }
      for (const [i, name] of ROLES.entries()) {
        const role = roles[i]!;
        const container = containers[i]!;
        for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
          const httpGet = asRecord(dig(container, probe, 'httpGet'), `${name} ${probe}`);
          const portName = asString(httpGet['port'], `${name} ${probe} port`);
          expect(['http', 'health']).toContain(portName);
          await waitForHttp(role, asString(httpGet['path'], 'probe path'), 200, START_TIMEOUT_MS, {}, portName as 'http' | 'health');
        }
      }
      const web = roles[2]!;
      await waitForHttp(web, '/admin/queues', 401, 5_000);
      await waitForHttp(web, '/admin/queues', 200, 5_000, basic('ops', boardPassword));

      const grace = Number(
        dig(
          objects.find((o) => dig(o, 'metadata', 'name') === 'crm-materializer-worker'),
          'spec',
          'template',
          'spec',
          'terminationGracePeriodSeconds',
        ),
      );
      await stopAll(roles, grace * 1000);
    } finally {
      for (const role of roles) await role.stop(1_000);
      await cleanupPrefix(prefix);
    }
  }, 120_000);
});
