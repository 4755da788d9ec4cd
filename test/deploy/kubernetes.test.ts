// k8s/, checked without a cluster: `kustomize build` renders the example
// overlay; every object validates against its kubernetes-models class
// (JSON schemas: types, required fields) and type-checks as an object
// literal of the model's TypeScript interface (unknown fields are errors);
// then what the manifests promise: secure pods, probes on the service's
// paths, shutdown time, the alert rules generated from alerts.yml, the KEDA
// list names checked against BullMQ itself, the network policy.
// test/deploy/roles.test.ts runs each Deployment's command line.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VARS } from '../../src/config/vars.js';
import { TASK_QUEUES } from '../../src/queue/jobs.js';
import { parseRoles } from '../../src/cli/queue-commands.js';
import { cleanupPrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import {
  asArray,
  asRecord,
  asString,
  asStrings,
  containerArgv,
  dig,
  envText,
  expectSuccess,
  isRecord,
  kustomizeBuild,
  parseEnvFile,
  PROMTOOL,
  readText,
  readYaml,
  requirePromtool,
  ROOT,
  run,
} from './support.js';

const OVERLAY = 'k8s/overlays/example';
const BASE = 'k8s/base';
const ROLE_NAMES = ['scheduler', 'worker', 'web'] as const;
const NAME_LABEL = 'app.kubernetes.io/name';
const COMPONENT_LABEL = 'app.kubernetes.io/component';

type K8sObject = Record<string, unknown>;

interface ModelEntry {
  readonly model: new (data: never) => { validate(): void };
  /** Module and interface for the type check. */
  readonly module: string;
  readonly type: string;
}

const MODELS: Record<string, ModelEntry> = {
  'v1/Namespace': { model: Namespace, module: 'kubernetes-models/v1/Namespace', type: 'INamespace' },
  'v1/ServiceAccount': { model: ServiceAccount, module: 'kubernetes-models/v1/ServiceAccount', type: 'IServiceAccount' },
  'v1/ConfigMap': { model: ConfigMap, module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
  'v1/Secret': { model: Secret, module: 'kubernetes-models/v1/Secret', type: 'ISecret' },
  'v1/Service': { model: Service, module: 'kubernetes-models/v1/Service', type: 'IService' },
  'apps/v1/Deployment': { model: Deployment, module: 'kubernetes-models/apps/v1/Deployment', type: 'IDeployment' },
  'policy/v1/PodDisruptionBudget': {
    model: PodDisruptionBudget,
    module: 'kubernetes-models/policy/v1/PodDisruptionBudget',
    type: 'IPodDisruptionBudget',
  },
  'networking.k8s.io/v1/NetworkPolicy': {
    model: NetworkPolicy,
    module: 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
    type: 'INetworkPolicy',
  },
  'monitoring.coreos.com/v1/ServiceMonitor': {
    model: ServiceMonitor,
    module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
    type: 'IServiceMonitor',
  },
  'monitoring.coreos.com/v1/PrometheusRule': {
    model: PrometheusRule,
    module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule',
    type: 'IPrometheusRule',
  },
  'keda.sh/v1alpha1/ScaledObject': {
    model: ScaledObject,
    module: '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject',
    type: 'IScaledObject',
  },
  'keda.sh/v1alpha1/TriggerAuthentication': {
    model: TriggerAuthentication,
    module: '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication',
    type: 'ITriggerAuthentication',
  },
};

const keyOf = (o: K8sObject): string => `${String(o['apiVersion'])}/${String(o['kind'])}`;
const nameOf = (o: K8sObject): string => `${String(o['kind'])}/${String(dig(o, 'metadata', 'name'))}`;

let scratch = '';
let renderedCache: K8sObject[] | undefined;
/** The rendered overlay, built on first use (a missing kustomize fails each test that needs it). */
function rendered(): K8sObject[] {
  return (renderedCache ??= kustomizeBuild(OVERLAY));
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'crm-k8s-'));
});
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function all(kind: string): K8sObject[] {
  return rendered().filter((o) => o['kind'] === kind);
}

function one(kind: string, name: string): K8sObject {
  const found = rendered().find((o) => o['kind'] === kind && dig(o, 'metadata', 'name') === name);
  if (!found) throw new Error(`${kind}/${name} is not in the rendered ${OVERLAY}: ${rendered().map(nameOf).join(', ')}`);
  return found;
}

function deployment(role: string): K8sObject {
  return one('Deployment', `crm-materializer-${role}`);
}

function podSpec(d: K8sObject): Record<string, unknown> {
  return asRecord(dig(d, 'spec', 'template', 'spec'), `${nameOf(d)} pod spec`);
}

function container(d: K8sObject): Record<string, unknown> {
  const containers = asArray(podSpec(d)['containers'], `${nameOf(d)} containers`);
  expect(containers, `${nameOf(d)} has one container`).toHaveLength(1);
  return asRecord(containers[0], `${nameOf(d)} container`);
}

function podLabels(d: K8sObject): Record<string, unknown> {
  return asRecord(dig(d, 'spec', 'template', 'metadata', 'labels'), `${nameOf(d)} pod labels`);
}

function selects(selector: unknown, labels: Record<string, unknown>): boolean {
  const match = asRecord(selector, 'selector');
  return Object.entries(match).every(([k, v]) => labels[k] === v);
}

function configMapData(): Record<string, string> {
  const maps = all('ConfigMap');
  expect(maps).toHaveLength(1);
  return asRecord(maps[0]!['data'], 'ConfigMap data') as Record<string, string>;
}

function secretData(name: string): Record<string, string> {
  const secret = one('Secret', name);
  expect(secret['data'], `${name}: stringData only, never base64 data in Git`).toBeUndefined();
  return asRecord(secret['stringData'], `${name} stringData`) as Record<string, string>;
}

/** The environment a container gets from its envFrom and env (placeholders as rendered). */
function containerEnv(d: K8sObject, objects: K8sObject[] = rendered()): Record<string, string> {
  const c = container(d);
  const env: Record<string, string> = {};
  for (const source of asArray(c['envFrom'] ?? [], 'envFrom')) {
    const ref = isRecord(dig(source, 'configMapRef'))
      ? { kind: 'ConfigMap', name: dig(source, 'configMapRef', 'name') }
      : { kind: 'Secret', name: dig(source, 'secretRef', 'name') };
    const obj = objects.find((o) => o['kind'] === ref.kind && dig(o, 'metadata', 'name') === ref.name);
    if (!obj) throw new Error(`${nameOf(d)}: envFrom ${ref.kind}/${String(ref.name)} is not rendered`);
    Object.assign(env, asRecord(obj['data'] ?? obj['stringData'] ?? {}, `${ref.kind} data`));
  }
  for (const e of asArray(c['env'] ?? [], 'env')) env[asString(dig(e, 'name'), 'env name')] = envText(dig(e, 'value'));
  return env;
}

describe('kustomize', () => {
  it(`renders ${OVERLAY} and ${BASE}`, () => {
    expect(rendered().length).toBeGreaterThan(10);
    expect(kustomizeBuild(BASE).length).toBeGreaterThan(5);
    expect(
      all('Deployment')
        .map((d) => dig(d, 'metadata', 'name'))
        .sort(),
    ).toEqual(ROLE_NAMES.map((r) => `crm-materializer-${r}`).sort());
  });

  it('every object validates against its Kubernetes (or CRD) schema', () => {
    for (const o of rendered()) {
      const entry = MODELS[keyOf(o)];
      expect(entry, `a model for ${keyOf(o)} (${nameOf(o)})`).toBeDefined();
      const Model = entry!.model as unknown as new (data: unknown) => { validate(): void };
      expect(() => new Model(o).validate(), nameOf(o)).not.toThrow();
    }
    // The check does catch a wrong type.
    const broken = structuredClone(deployment('worker'));
    asRecord(broken['spec'], 'spec')['replicas'] = 'two';
    expect(() => new Deployment(broken as never).validate()).toThrow(/replicas/);
  });

  it('every object type-checks as its model interface: no unknown or misspelt field', () => {
    const dir = join(ROOT, 'node_modules', '.cache', `crm-k8s-types-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      const check = (objects: K8sObject[]): { status: number | null; errors: string[] } => {
        const entries = [...new Set(objects.map(keyOf))].map((k) => MODELS[k]!);
        const lines = [
          ...entries.map((e) => `import type { ${e.type} } from '${e.module}';`),
          ...objects.map((o, i) => `export const o${i}: ${MODELS[keyOf(o)]!.type} = ${JSON.stringify(o)};`),
        ];
        writeFileSync(join(dir, 'manifests.ts'), `${lines.join('\n')}\n`);
        const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
        const result = run(
          process.execPath,
          [
            tsc,
            '--ignoreConfig',
            '--noEmit',
            '--strict',
            '--module',
            'nodenext',
            '--moduleResolution',
            'nodenext',
            '--target',
            'es2022',
            '--skipLibCheck',
            '--types',
            'node',
            'manifests.ts',
          ],
          { cwd: dir },
        );
        const errors = `${result.stdout}${result.stderr}`
          .split('\n')
          .filter((l) => l.includes('error TS'))
          .map((l) => {
            const line = Number(/\((\d+),/.exec(l)?.[1] ?? 0);
            const o = objects[line - 1 - entries.length];
            return `${o ? nameOf(o) : '?'}: ${l.replace(/^.*error /, '')}`;
          });
        return { status: result.status, errors };
      };
      const typo = structuredClone(deployment('web'));
      asRecord(container(typo), 'container')['readinesProbe'] = { httpGet: { path: '/readyz', port: 'http' } };
      const result = check([...rendered(), typo]);
      // Exactly the planted typo is reported: the real manifests have none.
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]).toMatch(/^Deployment\/crm-materializer-web: .*readinesProbe/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('everything is labelled as the service and lands in one namespace', () => {
    const ns = all('Namespace');
    expect(ns).toHaveLength(1);
    const namespace = dig(ns[0], 'metadata', 'name');
    for (const o of rendered()) {
      expect(dig(o, 'metadata', 'labels', NAME_LABEL), `${nameOf(o)} label ${NAME_LABEL}`).toBe(
        o['kind'] === 'Namespace' ? undefined : 'crm-materializer',
      );
      if (o['kind'] !== 'Namespace') expect(dig(o, 'metadata', 'namespace'), nameOf(o)).toBe(namespace);
    }
    // The pods meet the restricted Pod Security Standard: enforce it.
    expect(dig(ns[0], 'metadata', 'labels', 'pod-security.kubernetes.io/enforce')).toBe('restricted');
  });
});

describe('Deployments', () => {
  it.each(ROLE_NAMES)('%s runs its role from the one image (start --roles %s)', (role) => {
    const d = deployment(role);
    const c = container(d);
    expect(c['image']).toBe('registry.example.com/crm-materializer:0.1.0');
    expect(c['command'], 'the image entrypoint (tini) is kept').toBeUndefined();
    const argv = containerArgv({ cmd: asStrings(c['args'], 'args') });
    expect(argv.slice(1, 3)).toEqual(['start', '--roles']);
    expect(parseRoles(argv[3])).toEqual([role]);
    expect(argv).toHaveLength(4);
    expect(podLabels(d)[COMPONENT_LABEL]).toBe(role);
    expect(selects(dig(d, 'spec', 'selector', 'matchLabels'), podLabels(d))).toBe(true);
  });

  it.each(ROLE_NAMES)('%s runs non-root with a read-only root file system and nothing more', (role) => {
    const d = deployment(role);
    const pod = podSpec(d);
    expect(pod['securityContext']).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod['automountServiceAccountToken']).toBe(false);
    expect(pod['serviceAccountName']).toBe('crm-materializer');
    const c = container(d);
    expect(c['securityContext']).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    // /tmp stays writable.
    const tmp = asArray(c['volumeMounts'], 'volumeMounts')
      .map((m) => asRecord(m, 'mount'))
      .find((m) => m['mountPath'] === '/tmp');
    expect(tmp, 'a volume on /tmp').toBeDefined();
    const volume = asArray(pod['volumes'], 'volumes')
      .map((v) => asRecord(v, 'volume'))
      .find((v) => v['name'] === tmp!['name']);
    expect(volume?.['emptyDir']).toBeDefined();
  });

  it.each(ROLE_NAMES)('%s asks for resources and sets limits', (role) => {
    const resources = asRecord(container(deployment(role))['resources'], 'resources');
    for (const kind of ['requests', 'limits']) {
      expect(dig(resources, kind, 'cpu'), `${kind}.cpu`).toBeDefined();
      expect(dig(resources, kind, 'memory'), `${kind}.memory`).toBeDefined();
    }
  });

  it.each(ROLE_NAMES)('%s probes liveness on HEALTH_PORT, start-up (/healthz) and readiness (/readyz) on PORT', (role) => {
    const c = container(deployment(role));
    const ports = asArray(c['ports'], 'ports').map((p) => asRecord(p, 'port'));
    expect(ports).toEqual([
      { name: 'http', containerPort: Number(configMapData()['PORT']), protocol: 'TCP' },
      { name: 'health', containerPort: Number(configMapData()['HEALTH_PORT']), protocol: 'TCP' },
    ]);
    expect(dig(c, 'startupProbe', 'httpGet')).toEqual({ path: '/healthz', port: 'http' });
    expect(dig(c, 'livenessProbe', 'httpGet')).toEqual({ path: '/healthz', port: 'health' });
    expect(dig(c, 'readinessProbe', 'httpGet')).toEqual({ path: '/readyz', port: 'http' });
  });

  it.each(ROLE_NAMES)('%s is given more time to stop than SHUTDOWN_GRACE_MS', (role) => {
    const grace = Number(configMapData()['SHUTDOWN_GRACE_MS']);
    expect(grace).toBeGreaterThan(0);
    const seconds = Number(podSpec(deployment(role))['terminationGracePeriodSeconds']);
    expect(seconds * 1000, `terminationGracePeriodSeconds ${seconds} vs SHUTDOWN_GRACE_MS ${grace}`).toBeGreaterThanOrEqual(grace + 15_000);
  });

  it('one scheduler, workers scaled by KEDA (no fixed replicas), two board replicas', () => {
    expect(dig(deployment('scheduler'), 'spec', 'replicas')).toBe(1);
    expect(dig(deployment('worker'), 'spec', 'replicas')).toBeUndefined();
    expect(Number(dig(deployment('web'), 'spec', 'replicas'))).toBeGreaterThanOrEqual(2);
    const base = kustomizeBuild(BASE).find((o) => o['kind'] === 'Deployment' && dig(o, 'metadata', 'name') === 'crm-materializer-worker');
    expect(Number(dig(base, 'spec', 'replicas'))).toBeGreaterThanOrEqual(2);
  });

  it('workers and the board have a PodDisruptionBudget; the single scheduler none (it would block drains)', () => {
    const pdbs = all('PodDisruptionBudget');
    for (const role of ['worker', 'web']) {
      const matching = pdbs.filter((p) => selects(dig(p, 'spec', 'selector', 'matchLabels'), podLabels(deployment(role))));
      expect(matching, `a PDB selects the ${role} pods`).toHaveLength(1);
    }
    expect(pdbs.some((p) => selects(dig(p, 'spec', 'selector', 'matchLabels'), podLabels(deployment('scheduler'))))).toBe(false);
  });
});

describe('configuration and secrets', () => {
  const varNames = new Set(Object.values(VARS).map((v) => v.name));
  const secretVars = new Set(
    Object.values(VARS)
      .filter((v) => v.secret === true)
      .map((v) => v.name),
  );

  it('the ConfigMap holds known, non-secret settings; production runs on Databricks', () => {
    const data = configMapData();
    for (const key of Object.keys(data)) {
      expect(varNames.has(key), `${key} is a configuration variable`).toBe(true);
      expect(secretVars.has(key), `${key} is secret: it belongs in a Secret`).toBe(false);
    }
    expect(data['WAREHOUSE']).toBe('databricks');
    expect(data['QUEUE_PREFIX']).toBe('{crm}');
    // No periodic `SELECT 1` that would keep an auto-stopping SQL warehouse running.
    expect(data['WAREHOUSE_CHECK_INTERVAL_MS']).toBe('0');
    expect(parseEnvFile(readText(`${BASE}/config.env`))['WAREHOUSE'], 'the base stays engine-neutral').toBeUndefined();
  });

  it('the example Secrets hold placeholders only, and the board and API credentials go to the web role only', () => {
    for (const secret of all('Secret')) {
      const name = String(dig(secret, 'metadata', 'name'));
      for (const [key, value] of Object.entries(secretData(name))) {
        // Besides the configuration variables: KEDA's REDIS_PASSWORD, and the read API's keys.
        expect(varNames.has(key) || ['REDIS_PASSWORD', 'API_KEYS'].includes(key), `${name}: ${key} is a configuration variable`).toBe(true);
        expect(value, `${name}: ${key} is a placeholder`).toContain('REPLACE-ME');
      }
    }
    expect(Object.keys(secretData('crm-materializer-web')).sort()).toEqual(['API_KEYS', 'BOARD_PASSWORD', 'BOARD_USER']);
    for (const role of ROLE_NAMES) {
      const env = containerEnv(deployment(role));
      expect(env['REDIS_URL'], `${role} gets REDIS_URL`).toBeDefined();
      expect('BOARD_PASSWORD' in env, `${role} gets the board password`).toBe(role === 'web');
      expect('API_KEYS' in env, `${role} gets the read API keys`).toBe(role === 'web');
    }
  });

  it.each(ROLE_NAMES)('%s gets a configuration the service accepts', (role) => {
    const env = containerEnv(deployment(role));
    const result = run(process.execPath, ['bin/crm-materializer.js', 'sql', 'render', '--engine', 'databricks'], {
      env: { PATH: process.env['PATH'] ?? '', HOME: ROOT, ...env, LOG_LEVEL: 'warn' },
    });
    expect(result.status, result.stderr).toBe(0);
  });
});

describe('Services and monitoring', () => {
  it('the web Service sends board traffic to the web pods only', () => {
    const svc = one('Service', 'crm-materializer-web');
    for (const role of ROLE_NAMES) expect(selects(dig(svc, 'spec', 'selector'), podLabels(deployment(role))), role).toBe(role === 'web');
    expect(dig(svc, 'spec', 'ports', 0, 'targetPort')).toBe('http');
  });

  it('the ServiceMonitor scrapes every pod of every role, once, as job="crm-materializer"', () => {
    const monitor = one('ServiceMonitor', 'crm-materializer');
    const selector = dig(monitor, 'spec', 'selector', 'matchLabels');
    const services = all('Service').filter((s) => selects(selector, asRecord(dig(s, 'metadata', 'labels'), 'labels')));
    expect(services.map((s) => dig(s, 'metadata', 'name'))).toEqual(['crm-materializer-metrics']);
    const metrics = services[0]!;
    expect(dig(metrics, 'spec', 'clusterIP')).toBe('None');
    for (const role of ROLE_NAMES) expect(selects(dig(metrics, 'spec', 'selector'), podLabels(deployment(role))), role).toBe(true);
    const endpoint = asRecord(dig(monitor, 'spec', 'endpoints', 0), 'endpoint');
    expect(endpoint['path']).toBe('/metrics');
    expect(asArray(dig(metrics, 'spec', 'ports'), 'ports').map((p) => dig(p, 'name'))).toContain(endpoint['port']);
    // The alert rules expect job="crm-materializer": the jobLabel's value on the Service.
    const jobLabel = asString(dig(monitor, 'spec', 'jobLabel'), 'jobLabel');
    expect(dig(metrics, 'metadata', 'labels', jobLabel)).toBe('crm-materializer');
    expect(readText('deploy/prometheus/alerts.yml')).toContain('job="crm-materializer"');
  });

  it('the PrometheusRule carries exactly the rules of deploy/prometheus/alerts.yml', () => {
    const rule = one('PrometheusRule', 'crm-materializer');
    const alerts = asRecord(readYaml('deploy/prometheus/alerts.yml'), 'alerts.yml');
    expect(dig(rule, 'spec', 'groups')).toEqual(alerts['groups']);
    const check = run(process.execPath, ['scripts/gen-prometheus-rule.js', '--check']);
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
  });

  it('promtool accepts the rules of the PrometheusRule', () => {
    requirePromtool();
    const file = join(scratch, 'prometheusrule-groups.yml');
    writeFileSync(file, JSON.stringify({ groups: dig(one('PrometheusRule', 'crm-materializer'), 'spec', 'groups') }));
    const out = expectSuccess(run(PROMTOOL, ['check', 'rules', file]), 'promtool check rules (PrometheusRule spec)');
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
  }, 60_000);
});

describe('NetworkPolicy', () => {
  type PortRule = { protocol: string; port: number };
  const ports = (rules: unknown): PortRule[] =>
    asArray(rules ?? [], 'rules').flatMap((r) =>
      asArray(dig(r, 'ports') ?? [], 'ports').map((p) => ({ protocol: String(dig(p, 'protocol')), port: Number(dig(p, 'port')) })),
    );

  it('lets the pods reach only DNS, Redis and HTTPS (Databricks), and only Prometheus scrape them', () => {
    const policy = one('NetworkPolicy', 'crm-materializer');
    for (const role of ROLE_NAMES)
      expect(selects(dig(policy, 'spec', 'podSelector', 'matchLabels'), podLabels(deployment(role))), role).toBe(true);
    expect(dig(policy, 'spec', 'policyTypes')).toEqual(['Ingress', 'Egress']);
    const egress = ports(dig(policy, 'spec', 'egress'));
    expect(egress.sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol))).toEqual([
      { protocol: 'TCP', port: 53 },
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 443 },
      { protocol: 'TCP', port: 6379 },
      { protocol: 'TCP', port: 6380 },
    ]);
    // The Redis of the Secret is reachable.
    const redisPort = Number(new URL(secretData('crm-materializer-secrets')['REDIS_URL']!).port || 6379);
    expect(egress.map((p) => p.port)).toContain(redisPort);
    const ingress = asArray(dig(policy, 'spec', 'ingress'), 'ingress');
    expect(ingress).toHaveLength(1);
    expect(dig(ingress[0], 'from', 0, 'namespaceSelector', 'matchLabels', 'kubernetes.io/metadata.name')).toBe('monitoring');
    expect(ports(ingress)).toEqual([{ protocol: 'TCP', port: Number(configMapData()['PORT']) }]);
  });

  it('lets the ingress controller reach the board', () => {
    const policy = one('NetworkPolicy', 'crm-materializer-web');
    for (const role of ROLE_NAMES)
      expect(selects(dig(policy, 'spec', 'podSelector', 'matchLabels'), podLabels(deployment(role))), role).toBe(role === 'web');
    expect(ports(dig(policy, 'spec', 'ingress'))).toEqual([{ protocol: 'TCP', port: Number(configMapData()['PORT']) }]);
  });
});

describe('KEDA ScaledObject', () => {
  function triggers(): Record<string, unknown>[] {
    return asArray(dig(one('ScaledObject', 'crm-materializer-worker'), 'spec', 'triggers'), 'triggers').map((t) => asRecord(t, 'trigger'));
  }

  it('scales the worker Deployment on the wait list of every task queue, against the Redis of REDIS_URL', () => {
    const scaled = one('ScaledObject', 'crm-materializer-worker');
    expect(dig(scaled, 'spec', 'scaleTargetRef', 'name')).toBe('crm-materializer-worker');
    expect(Number(dig(scaled, 'spec', 'minReplicaCount'))).toBeGreaterThanOrEqual(1);
    const prefix = configMapData()['QUEUE_PREFIX'];
    const redisUrl = new URL(secretData('crm-materializer-secrets')['REDIS_URL']!);
    const lists = triggers().map((t) => {
      expect(t['type']).toBe('redis');
      expect(dig(t, 'metadata', 'address')).toBe(`${redisUrl.hostname}:${redisUrl.port || '6379'}`);
      expect(dig(t, 'metadata', 'enableTLS')).toBe(redisUrl.protocol === 'rediss:' ? 'true' : 'false');
      const auth = one('TriggerAuthentication', asString(dig(t, 'authenticationRef', 'name'), 'authenticationRef'));
      for (const ref of asArray(dig(auth, 'spec', 'secretTargetRef'), 'secretTargetRef')) {
        expect(Object.keys(secretData(asString(dig(ref, 'name'), 'secret name')))).toContain(dig(ref, 'key'));
      }
      return asString(dig(t, 'metadata', 'listName'), 'listName');
    });
    expect(lists.sort()).toEqual(TASK_QUEUES.map((q) => `${prefix}:${q}:wait`).sort());
  });

  it('BullMQ keeps waiting jobs in the list <prefix>:<queue>:wait (and prioritized ones elsewhere)', async () => {
    const prefix = uniquePrefix();
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queues = TASK_QUEUES.map((name) => new Queue(name, { connection: redis, prefix }));
    try {
      for (const queue of queues) await queue.add('probe', {});
      for (const queue of queues) expect(await redis.llen(`${prefix}:${queue.name}:wait`), `${prefix}:${queue.name}:wait`).toBe(1);
      // A prioritized job (backfills) is not in the list KEDA reads.
      const refresh = queues[0]!;
      await refresh.add('probe', {}, { priority: 10 });
      expect(await redis.llen(`${prefix}:${refresh.name}:wait`)).toBe(1);
      expect(await redis.zcard(`${prefix}:${refresh.name}:prioritized`)).toBe(1);
    } finally {
      for (const queue of queues) await queue.close();
      redis.disconnect();
      await cleanupPrefix(prefix);
    }
  });
});
