// docker-compose.yml, checked without a Docker engine: the compose-spec JSON
// schema (the copy dclint ships, validated with ajv), `docker-compose config`
// (Compose 1.29 from Debian: interpolation, anchors, references) with no
// settings and with .env.example, and what the stack needs to work: Redis
// that keeps its data and never evicts, one process on the DuckDB file,
// shutdown time, and Prometheus, Alertmanager and Grafana wired to the right
// services. test/deploy/roles.test.ts runs each service's command line.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { VARS } from '../../src/config/vars.js';
import { parseRoles } from '../../src/cli/queue-commands.js';
import { ROLES } from '../../src/service.js';
import {
  asArray,
  asRecord,
  asString,
  asStrings,
  composeArgv,
  composeEnvironment,
  composeService,
  composeStack,
  dig,
  execForm,
  lastInstruction,
  parseEnvFile,
  readText,
  readYaml,
  ROOT,
  run,
  runtimeStage,
  type ComposeStack,
} from './support.js';

const COMPOSE_FILE = 'docker-compose.yml';
const ENV_EXAMPLE = '.env.example';
const APP_SERVICES = ['web', 'scheduler', 'worker'] as const;
const MONITORING = ['prometheus', 'alertmanager', 'grafana'];

/** Compose durations: 1m, 60s, 1m30s, 500ms. */
function seconds(text: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new Error(`not a duration: ${text}`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
}

function volumes(stack: ComposeStack, name: string): { source: string; target: string; readOnly: boolean }[] {
  return asArray(composeService(stack, name)['volumes'] ?? [], `${name} volumes`).map((v) => {
    if (typeof v === 'string') {
      const [source = '', target = '', mode = ''] = v.split(':');
      return { source, target, readOnly: mode.split(',').includes('ro') };
    }
    const r = asRecord(v, `${name} volume`);
    return { source: asString(r['source'], 'source'), target: asString(r['target'], 'target'), readOnly: r['read_only'] === true };
  });
}

function publishedPorts(stack: ComposeStack, name: string): string[] {
  return asArray(composeService(stack, name)['ports'] ?? [], `${name} ports`).map((p) => (typeof p === 'string' ? p : JSON.stringify(p)));
}

/** The roles a service runs: `start --roles <list>`. */
function rolesOf(stack: ComposeStack, name: string): string[] {
  const argv = composeArgv(stack, name);
  expect(argv.slice(1, 3), `${name} runs start --roles`).toEqual(['start', '--roles']);
  return parseRoles(argv[3]);
}

function memo<T>(fn: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= fn());
}
/** No .env at all: the default, embedded DuckDB. */
const duckdb = memo(() => composeStack(undefined));
/** .env.example: Databricks. */
const databricks = memo(() => composeStack(join(ROOT, ENV_EXAMPLE)));
const appServices = (stack: ComposeStack): string[] => stack.active.filter((s) => (APP_SERVICES as readonly string[]).includes(s));

describe('docker-compose.yml is valid', () => {
  it("against the compose-spec JSON schema (dclint's copy, checked with ajv)", () => {
    const schema = asRecord(JSON.parse(readText('node_modules/dclint/schemas/compose.schema.json')), 'compose schema');
    delete schema['$schema']; // draft-07 under an https id that ajv does not know by that name
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const doc = readYaml(COMPOSE_FILE);
    expect(validate(doc), JSON.stringify(validate.errors, null, 2)).toBe(true);
    // The validator does reject a misspelt key.
    const broken = structuredClone(asRecord(doc, COMPOSE_FILE));
    asRecord(dig(broken, 'services', 'worker'), 'worker')['stop_grace_periods'] = '60s';
    expect(validate(broken)).toBe(false);
    expect(asRecord(doc, COMPOSE_FILE)['version'], 'no obsolete version: key').toBeUndefined();
  });

  it('for docker-compose config (what `config -q` checks), with no settings and with .env.example', () => {
    // composeStack fails the test on a non-zero exit, with docker-compose's message.
    expect(duckdb().active.sort()).toEqual(['redis', 'web', ...MONITORING].sort());
    expect(databricks().profiles).toEqual(['databricks']);
    expect(databricks().active.sort()).toEqual(['redis', ...APP_SERVICES, ...MONITORING].sort());
  });
});

describe('docker-compose.yml services', () => {
  it('redis keeps its data (AOF on a volume) and never evicts keys', () => {
    const redis = composeService(duckdb(), 'redis');
    expect(String(redis['image'])).toMatch(/^redis:7(\.|$)/);
    const command = asStrings(redis['command'], 'redis command').join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
    expect(volumes(duckdb(), 'redis')).toContainEqual(expect.objectContaining({ source: 'redis-data', target: '/data' }));
    expect(dig(redis, 'healthcheck', 'test')).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('an optional cache Redis (profile cache) may evict and keeps nothing; only the web role is told about it', () => {
    const stack = duckdb();
    expect(stack.active).not.toContain('redis-cache');
    const cache = composeService(stack, 'redis-cache');
    expect(dig(cache, 'profiles')).toEqual(['cache']);
    const command = asStrings(cache['command'], 'redis-cache command').join(' ');
    expect(command).toMatch(/--maxmemory \d+mb/);
    expect(command).toContain('--maxmemory-policy allkeys-lru');
    expect(command).toContain('--appendonly no');
    expect(volumes(stack, 'redis-cache')).toEqual([]);
    expect(composeEnvironment(stack, 'web')['CACHE_REDIS_URL']).toBe('');
    for (const name of ['scheduler', 'worker'])
      expect(Object.keys(composeEnvironment(databricks(), name))).not.toContain('CACHE_REDIS_URL');
  });

  it('the application services run one image, wait for a healthy Redis and reach it by its service name', () => {
    const stack = databricks();
    expect(new Set(APP_SERVICES.map((s) => composeService(stack, s)['image'])).size).toBe(1);
    for (const name of APP_SERVICES) {
      const svc = composeService(stack, name);
      expect(dig(svc, 'build', 'context')).toBe(ROOT);
      expect(dig(svc, 'depends_on', 'redis', 'condition')).toBe('service_healthy');
      expect(composeEnvironment(stack, name)['REDIS_URL']).toBe('redis://redis:6379');
      expect(composeEnvironment(stack, name)['QUEUE_PREFIX']).toBe('{crm}');
      expect(svc['restart']).toBe('unless-stopped');
    }
  });

  it('give shutdown more time than SHUTDOWN_GRACE_MS before SIGKILL', () => {
    for (const stack of [duckdb(), databricks()]) {
      for (const name of appServices(stack)) {
        const grace = Number(composeEnvironment(stack, name)['SHUTDOWN_GRACE_MS'] || VARS.SHUTDOWN_GRACE_MS.default);
        const stop = seconds(asString(composeService(stack, name)['stop_grace_period'], `${name} stop_grace_period`));
        expect(stop * 1000, `${name}: stop_grace_period ${stop}s vs SHUTDOWN_GRACE_MS ${grace}`).toBeGreaterThanOrEqual(grace + 15_000);
      }
    }
  });

  it('check health like the image does (node fetches /healthz)', () => {
    const check = lastInstruction(runtimeStage(), 'HEALTHCHECK')!.text;
    const imageArgv = execForm(check.slice(check.indexOf('CMD') + 3).trim(), 'HEALTHCHECK');
    for (const name of APP_SERVICES) expect(dig(composeService(databricks(), name), 'healthcheck', 'test')).toEqual(['CMD', ...imageArgv]);
  });

  it('by default run every role in one process (web) on the embedded DuckDB file of a volume', () => {
    const stack = duckdb();
    expect(appServices(stack)).toEqual(['web']);
    expect(rolesOf(stack, 'web')).toEqual([...ROLES]);
    expect(composeArgv(stack, 'web')).toContain('--demo');
    const env = composeEnvironment(stack, 'web');
    expect(env['WAREHOUSE']).toBe('duckdb');
    const dbDir = env['DUCKDB_PATH']!.replace(/\/[^/]+$/, '');
    expect(volumes(stack, 'web')).toContainEqual(expect.objectContaining({ source: 'duckdb-data', target: dbDir }));
    // The Dockerfile creates that folder for the node user, so a new volume starts writable.
    expect(readText('Dockerfile')).toMatch(new RegExp(`mkdir -p ${dbDir}\\b.*chown 1000:1000 ${dbDir}\\b`));
    // The scheduler and worker services only exist in the databricks profile.
    for (const name of ['scheduler', 'worker']) expect(composeService(stack, name)['profiles']).toEqual(['databricks']);
  });

  it('with Databricks, run each role once across web, scheduler and a scalable worker', () => {
    const stack = databricks();
    const roles = APP_SERVICES.map((name) => rolesOf(stack, name));
    expect(roles).toEqual([['web'], ['scheduler'], ['worker']]);
    for (const name of APP_SERVICES) expect(composeEnvironment(stack, name)['WAREHOUSE']).toBe('databricks');
    // --demo plans no run and seeds nothing here (web role only, not DuckDB).
    for (const name of ['scheduler', 'worker']) expect(composeArgv(stack, name)).not.toContain('--demo');
    // Scaling the worker: nothing of it is published, it needs no volume.
    expect(publishedPorts(stack, 'worker')).toEqual([]);
    expect(publishedPorts(stack, 'scheduler')).toEqual([]);
    expect(volumes(stack, 'worker')).toEqual([]);
  });

  it('publish ports on 127.0.0.1 only, unless BIND_ADDRESS says otherwise', () => {
    const stack = duckdb();
    const published = stack.active.flatMap((s) => publishedPorts(stack, s));
    expect(published.length).toBeGreaterThan(0);
    for (const p of published) expect(p).toMatch(/^127\.0\.0\.1:\d+:\d+/);
    expect(publishedPorts(stack, 'web')).toEqual(['127.0.0.1:3000:3000/tcp']);
  });

  it('only the web service gets board credentials', () => {
    const stack = databricks();
    expect(Object.keys(composeEnvironment(stack, 'web'))).toEqual(expect.arrayContaining(['BOARD_USER', 'BOARD_PASSWORD', 'BOARD_TOKEN']));
    for (const name of ['scheduler', 'worker']) {
      expect(Object.keys(composeEnvironment(stack, name)).filter((k) => k.startsWith('BOARD_'))).toEqual([]);
    }
  });
});

describe('monitoring in docker-compose.yml', () => {
  const prometheusConfig = asRecord(readYaml('deploy/prometheus/prometheus.yml'), 'prometheus.yml');

  it('Prometheus reads deploy/prometheus (prometheus.yml and the alert rules beside it)', () => {
    const prometheus = composeService(duckdb(), 'prometheus');
    expect(String(prometheus['image'])).toMatch(/^prom\/prometheus:v\d/);
    expect(volumes(duckdb(), 'prometheus')).toContainEqual({
      source: join(ROOT, 'deploy/prometheus'),
      target: '/etc/prometheus',
      readOnly: true,
    });
    expect(asStrings(prometheus['command'], 'prometheus command')).toContain('--config.file=/etc/prometheus/prometheus.yml');
  });

  it('prometheus.yml scrapes every application service on PORT (each worker replica), and alerts through alertmanager', () => {
    const job = asArray(prometheusConfig['scrape_configs'], 'scrape_configs')
      .map((j) => asRecord(j, 'scrape config'))
      .find((j) => j['job_name'] === 'crm-materializer');
    expect(job).toBeDefined();
    const port = composeEnvironment(databricks(), 'web')['PORT'] || String(VARS.PORT.default);
    const staticHosts = asArray(job!['static_configs'], 'static_configs')
      .flatMap((c) => asStrings(dig(c, 'targets'), 'targets'))
      .map((t) => {
        expect(t.split(':')[1]).toBe(port);
        return t.split(':')[0]!;
      });
    const dnsHosts = asArray(job!['dns_sd_configs'] ?? [], 'dns_sd_configs').flatMap((c) => {
      expect(String(dig(c, 'port'))).toBe(port);
      expect(dig(c, 'type')).toBe('A');
      return asStrings(dig(c, 'names'), 'dns names');
    });
    // Each process exports the metrics of its own work: every service is scraped;
    // the always-present web service statically, the scalable ones by DNS.
    expect(staticHosts).toEqual(['web']);
    expect([...staticHosts, ...dnsHosts].sort()).toEqual([...APP_SERVICES].sort());
    expect(JSON.stringify(prometheusConfig['alerting'])).toContain('alertmanager:9093');
    expect(duckdb().active).toContain('alertmanager');
  });

  it('Alertmanager gets its configuration, and the SMTP password file it names from a secret', () => {
    const stack = duckdb();
    const alertmanager = composeService(stack, 'alertmanager');
    const configFile = asStrings(alertmanager['command'], 'alertmanager command')
      .find((a) => a.startsWith('--config.file='))!
      .split('=')[1]!;
    expect(volumes(stack, 'alertmanager')).toContainEqual({
      source: join(ROOT, 'deploy/alertmanager/alertmanager.yml'),
      target: configFile,
      readOnly: true,
    });
    const passwordFile = asString(
      dig(readYaml('deploy/alertmanager/alertmanager.yml'), 'global', 'smtp_auth_password_file'),
      'smtp_auth_password_file',
    );
    const secrets = asArray(alertmanager['secrets'], 'alertmanager secrets').map((s) => asRecord(s, 'secret'));
    const secret = secrets.find((s) => s['target'] === passwordFile);
    expect(secret, `a secret mounted on ${passwordFile}`).toBeDefined();
    const file = asString(dig(stack.config, 'secrets', asString(secret!['source'], 'source'), 'file'), 'secret file');
    expect(existsSync(file), `${file} exists`).toBe(true);
    expect(readText('deploy/alertmanager/smtp_password.example')).toMatch(/REPLACE-ME/);
  });

  it('Grafana is provisioned with the Prometheus datasource and the dashboards folder', () => {
    const stack = duckdb();
    const mounts = volumes(stack, 'grafana');
    expect(mounts).toContainEqual({
      source: join(ROOT, 'deploy/grafana/provisioning'),
      target: '/etc/grafana/provisioning',
      readOnly: true,
    });
    const providers = asArray(dig(readYaml('deploy/grafana/provisioning/dashboards/dashboards.yml'), 'providers'), 'providers');
    const path = asString(dig(providers[0], 'options', 'path'), 'dashboards path');
    expect(mounts).toContainEqual({ source: join(ROOT, 'deploy/grafana/dashboards'), target: path, readOnly: true });
    const datasources = asArray(dig(readYaml('deploy/grafana/provisioning/datasources/prometheus.yml'), 'datasources'), 'datasources');
    const url = new URL(asString(dig(datasources[0], 'url'), 'datasource url'));
    expect(stack.active, `${url.hostname} is a compose service`).toContain(url.hostname);
    expect(url.port).toBe('9090');
  });
});

describe('.env.example (Databricks)', () => {
  const example = parseEnvFile(readText(ENV_EXAMPLE));
  const composeText = readText(COMPOSE_FILE);

  it('switches to the Databricks layout as a whole', () => {
    expect(example['WAREHOUSE']).toBe('databricks');
    expect(example['COMPOSE_PROFILES']?.split(',')).toContain('databricks');
    expect(example['WEB_ROLES']).toBe('web');
  });

  it('offers every Databricks setting, passed to every application service', () => {
    const databricksVars = Object.values(VARS)
      .map((v) => v.name)
      .filter((n) => n.startsWith('DATABRICKS_') || n.startsWith('VACUUM_') || n === 'OPTIMIZE_AFTER_REFRESH');
    expect(databricksVars.length).toBeGreaterThan(5);
    for (const name of databricksVars) {
      expect(Object.keys(example), `${name} in ${ENV_EXAMPLE}`).toContain(name);
      for (const service of APP_SERVICES)
        expect(Object.keys(composeEnvironment(databricks(), service)), `${name} passed to ${service}`).toContain(name);
    }
  });

  it('holds placeholders only, never a credential', () => {
    for (const [name, value] of Object.entries(example)) {
      const secret =
        /TOKEN|SECRET|PASSWORD(?!_FILE)|BOARD_USER/.test(name) || Object.values(VARS).some((v) => v.name === name && v.secret === true);
      if (secret) expect(value === '' || value.includes('REPLACE-ME'), `${name}=${value} is a placeholder`).toBe(true);
    }
    expect(example['WAREHOUSE_CHECK_INTERVAL_MS'], 'no periodic query keeping the SQL warehouse awake').toBe('0');
  });

  it('names only variables that docker-compose.yml uses (or Compose itself reads)', () => {
    for (const name of Object.keys(example)) {
      if (name.startsWith('COMPOSE_')) continue;
      expect(composeText, `${name} is used in ${COMPOSE_FILE}`).toContain(`\${${name}:-`);
    }
  });

  it('gives each application service a configuration the service accepts (WAREHOUSE=databricks)', () => {
    for (const name of APP_SERVICES) {
      const env = composeEnvironment(databricks(), name);
      const result = run(process.execPath, ['bin/crm-materializer.js', 'sql', 'render', '--engine', 'databricks'], {
        env: { PATH: process.env['PATH'] ?? '', HOME: ROOT, ...env, LOG_LEVEL: 'warn' },
      });
      expect(result.status, `${name}: ${result.stderr}`).toBe(0);
    }
  });
});
