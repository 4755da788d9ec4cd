// The real Prometheus server scraping the real service: deploy/prometheus's
// scrape job and alert rules loaded as shipped, every PromQL expression of the
// dashboard (with its variables set to real values) and of the rules evaluated
// by the real engine (not only parsed),
// and the key series present with the values a successful run leaves.
//
// Needs the `prometheus` binary (Debian package `prometheus`): run
// scripts/install-prometheus-tools.sh. Without it this test fails (it does not
// skip). PROMETHEUS may name another binary.
import { systemClock, todayIn } from '../../src/clock.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { planDailyRun } from '../../src/producer/scheduler.js';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import { startTestService, type TestService } from '../support/service.js';
import { demoSourcesOn } from '../support/sources.js';
import { waitFor, waitForState } from '../support/wait.js';
import { freePort } from '../support/net.js';
import { AUTH } from '../support/api.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ALERTS = join(ROOT, 'deploy/prometheus/alerts.yml');
const PROMETHEUS_CONFIG = join(ROOT, 'deploy/prometheus/prometheus.yml');
const DASHBOARD = join(ROOT, 'deploy/grafana/dashboards/crm-materializer.json');
const PROMETHEUS = process.env['PROMETHEUS'] ?? 'prometheus';
const INSTALL_HINT = 'install with scripts/install-prometheus-tools.sh';
// Today in the schedule's zone: the lag the service exports is counted to the real today, so the run is for it.
const D = todayIn(systemClock, 'America/Sao_Paulo');

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}
interface ApiAnswer<T> {
  status: string;
  data: T;
  error?: string;
  errorType?: string;
}
interface RuleState {
  name: string;
  health: string;
  lastError?: string;
  lastEvaluation: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every string under a key named `expr`, anywhere in a JSON document. */
function collectExprs(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) collectExprs(item, found);
  else if (isRecord(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'expr' && typeof value === 'string') found.push(value);
      else collectExprs(value, found);
    }
  }
  return found;
}

const withoutGrafanaVariables = (expr: string): string => expr.replace(/\$\{?__(rate_interval|interval|range)\}?/g, '1m');

/** The dashboard's `label_values(metric, label)` variables. */
function labelVariables(dashboard: unknown): { name: string; metric: string; label: string }[] {
  const list =
    isRecord(dashboard) && isRecord(dashboard['templating']) && Array.isArray(dashboard['templating']['list'])
      ? dashboard['templating']['list']
      : [];
  return list.flatMap((v: unknown) => {
    const query = isRecord(v) && isRecord(v['query']) ? v['query']['query'] : undefined;
    const m = typeof query === 'string' ? /^label_values\((\w+),\s*(\w+)\)$/.exec(query) : null;
    return isRecord(v) && m?.[1] && m[2] ? [{ name: String(v['name']), metric: m[1], label: m[2] }] : [];
  });
}

/** An expression as Grafana sends it: interval variables as durations, `$table`/`$queue` as the values given. */
const substituted = (expr: string, values: Record<string, string>): string =>
  withoutGrafanaVariables(expr).replace(/\$\{?(\w+)\}?/g, (whole, name: string) => values[name] ?? whole);

function alertRules(): { alert: string; expr: string }[] {
  const doc = parse(readFileSync(ALERTS, 'utf8')) as { groups: { rules: { alert?: string; expr: string }[] }[] };
  return doc.groups.flatMap((g) => g.rules).flatMap((r) => (r.alert ? [{ alert: r.alert, expr: r.expr }] : []));
}

/** The scrape job the rules watch (CrmServiceDown's `up{job="…"}`). */
function ruleJobName(): string {
  const m = /\bup\{job="([^"]+)"\}/.exec(readFileSync(ALERTS, 'utf8'));
  if (!m?.[1]) throw new Error(`${ALERTS} has no up{job="..."} expression`);
  return m[1];
}

/**
 * deploy/prometheus/prometheus.yml as shipped, pointed at the test service:
 * its scrape job for the service (static targets replaced by the service,
 * their labels kept; no service discovery), its rule file by absolute path,
 * intervals of 1 s; no Alertmanager, no other jobs.
 */
function testConfig(job: string, target: string): string {
  const shipped = parse(readFileSync(PROMETHEUS_CONFIG, 'utf8')) as {
    global?: Record<string, unknown>;
    scrape_configs: Record<string, unknown>[];
  };
  const scrape = shipped.scrape_configs.find((c) => c['job_name'] === job);
  if (!scrape) throw new Error(`${PROMETHEUS_CONFIG} has no scrape job "${job}" (the job alerts.yml expects)`);
  const kept = Object.fromEntries(Object.entries(scrape).filter(([key]) => key === 'job_name' || !key.endsWith('_sd_configs')));
  const statics = Array.isArray(scrape['static_configs']) ? (scrape['static_configs'] as { labels?: Record<string, string> }[]) : [];
  return stringify({
    global: { ...shipped.global, scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: [ALERTS],
    scrape_configs: [{ ...kept, static_configs: [{ targets: [target], ...(statics[0]?.labels ? { labels: statics[0].labels } : {}) }] }],
  });
}

let svc: TestService | undefined;
let prom: ChildProcess | undefined;
let scratch = '';
let base = '';
let logs = '';
const job = ruleJobName();

async function startPrometheus(configFile: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    logs = '';
    const child = spawn(
      PROMETHEUS,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(scratch, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prom = child;
    const collect = (chunk: Buffer): void => {
      logs += chunk.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    try {
      await waitFor(
        'prometheus to be ready',
        async () => {
          if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${logs}`);
          return (await fetch(`${base}/-/ready`).catch(() => undefined))?.ok;
        },
        20_000,
        100,
      );
      return;
    } catch (e) {
      // Another process may have taken the port between freePort and prometheus: try another.
      if (attempt >= 3 || !/address already in use/.test(logs)) throw e;
    }
  }
}

async function stopPrometheus(): Promise<void> {
  const child = prom;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
}

async function api<T>(path: string, form?: Record<string, string>): Promise<ApiAnswer<T>> {
  const res = await fetch(`${base}${path}`, form ? { method: 'POST', body: new URLSearchParams(form) } : {});
  return (await res.json()) as ApiAnswer<T>;
}

async function query(expr: string): Promise<ApiAnswer<{ resultType: string; result: Sample[] }>> {
  return api('/api/v1/query', { query: expr });
}

/** The samples of an instant vector query; fails on any API error. */
async function vector(expr: string): Promise<Sample[]> {
  const answer = await query(expr);
  if (answer.status !== 'success') throw new Error(`${expr}: ${answer.errorType}: ${answer.error}`);
  return answer.data.result;
}

const values = (samples: Sample[]): number[] => samples.map((s) => Number(s.value[1]));
const byLabel = (samples: Sample[], label: string): Record<string, number> =>
  Object.fromEntries(samples.map((s) => [s.metric[label] ?? '', Number(s.value[1])]));

beforeAll(async () => {
  const probe = spawnSync(PROMETHEUS, ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0)
    throw new Error(`${PROMETHEUS} not found (or not runnable) on PATH: ${INSTALL_HINT}`);
  scratch = mkdtempSync(join(tmpdir(), 'crm-prometheus-'));
  // The real Prometheus ages the exported timestamps against the real time: the service runs on the system clock here.
  svc = await startTestService({ sources: demoSourcesOn(D), clock: systemClock });
  const configFile = join(scratch, 'prometheus.yml');
  writeFileSync(configFile, testConfig(job, `127.0.0.1:${svc.service.port}`));
  await startPrometheus(configFile);
  // Scraped before the run, so that increase() sees the counters move.
  await waitFor('a first scrape of the service', async () => values(await vector(`up{job="${job}"}`))[0] === 1, 20_000, 200);
  const { runtime } = svc.service;
  // Read API traffic for its panels: answered (200) and refused (401).
  const apiBase = `http://127.0.0.1:${svc.service.port}/api/v1`;
  expect((await fetch(`${apiBase}/freshness`, { headers: AUTH })).status).toBe(200);
  expect((await fetch(`${apiBase}/freshness`)).status).toBe(401);
  // A source audit for its panels.
  await runtime.queues['source-audit'].add('source-audit', {}, { jobId: 'source-audit__e2e' });
  await waitForState(runtime.queues['source-audit'], 'source-audit__e2e', ['completed']);
  await planDailyRun(runtime, D);
  await waitForState(runtime.queues.validation, `validation__${D}`, ['completed']);
  // A scrape after the run finished, and a rule evaluation after that scrape.
  await waitFor(
    'a scrape after the run (and two of the API requests, for rate())',
    async () =>
      values(
        await vector(`sum(crm_task_runs_total{task="validation",outcome="success"}) == 1 and on() max(crm_run_in_progress_seconds) == 0`),
      ).length === 1 && values(await vector('sum(rate(crm_api_request_duration_seconds_count[1m]))')).length === 1,
    20_000,
    200,
  );
  const scrapedAt = Date.now();
  await waitFor(
    'every rule evaluated after that scrape',
    async () => {
      const rules = (await api<{ groups: { rules: RuleState[] }[] }>('/api/v1/rules')).data.groups.flatMap((g) => g.rules);
      return rules.length > 0 && rules.every((r) => Date.parse(r.lastEvaluation) > scrapedAt + 1000);
    },
    20_000,
    200,
  );
}, 60_000);

afterAll(async () => {
  await stopPrometheus();
  await svc?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, 30_000);

describe('Prometheus scraping the service (real prometheus on 127.0.0.1)', () => {
  test('loaded the shipped scrape job and alerts.yml', async () => {
    const config = await api<{ yaml: string }>('/api/v1/status/config');
    expect(config.status).toBe('success');
    const loaded = parse(config.data.yaml) as { rule_files: string[]; scrape_configs: { job_name: string; metrics_path: string }[] };
    expect(loaded.rule_files).toEqual([ALERTS]);
    expect(loaded.scrape_configs.map((c) => [c.job_name, c.metrics_path])).toEqual([[job, '/metrics']]);
    const targets = await api<{ activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] }>(
      '/api/v1/targets',
    );
    expect(targets.data.activeTargets.map((t) => [t.labels['job'], t.health, t.lastError])).toEqual([[job, 'up', '']]);
  });

  test('every alert rule loaded and evaluates with health ok', async () => {
    const answer = await api<{ groups: { name: string; file: string; rules: RuleState[] }[] }>('/api/v1/rules');
    expect(answer.status).toBe('success');
    const rules = answer.data.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name).sort()).toEqual(
      alertRules()
        .map((r) => r.alert)
        .sort(),
    );
    for (const r of rules) expect([r.name, r.health, r.lastError ?? '']).toEqual([r.name, 'ok', '']);
  });

  test('every dashboard and alert expression is accepted by the query engine', async () => {
    const dashboard: unknown = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
    const exprs = [...collectExprs(dashboard).map(withoutGrafanaVariables), ...alertRules().map((r) => r.expr)];
    expect(exprs.length).toBeGreaterThanOrEqual(20);
    const errors: string[] = [];
    for (const expr of exprs) {
      const answer = await query(expr);
      if (answer.status !== 'success') errors.push(`${expr.trim()}\n  -> ${answer.errorType}: ${answer.error}`);
    }
    expect(errors).toEqual([]);
  });

  test('every dashboard variable query returns values', async () => {
    const dashboard: unknown = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
    const found: Record<string, string[]> = {};
    for (const v of labelVariables(dashboard)) {
      const answer = await api<string[]>(`/api/v1/label/${v.label}/values?${new URLSearchParams({ 'match[]': v.metric }).toString()}`);
      expect(answer.status).toBe('success');
      found[v.name] = answer.data;
    }
    expect(found['table']?.sort()).toEqual([...TABLE_NAMES].sort());
    expect(found['queue']).toContain('refresh');
  });

  test('every dashboard query that reads a crm_ metric returns data, with each table and queue, and with All', async () => {
    const dashboard: unknown = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
    const exprs = collectExprs(dashboard).filter((expr) => /\bcrm_/.test(expr));
    expect(exprs.filter((expr) => expr.includes('$table')).length).toBeGreaterThanOrEqual(5);
    expect(exprs.filter((expr) => expr.includes('$queue')).length).toBeGreaterThanOrEqual(3);
    const choices = [
      { table: '.*', queue: '.*' }, // All (the variables' allValue)
      ...TABLE_NAMES.map((table) => ({ table, queue: 'refresh' })),
      { table: `(${TABLE_NAMES.join('|')})`, queue: '(retention|validation)' }, // several values at once
    ];
    const empty: string[] = [];
    for (const choice of choices) {
      for (const expr of exprs) {
        const sent = substituted(expr, choice);
        expect(sent).not.toMatch(/\$/);
        if ((await vector(sent)).length === 0) empty.push(sent);
      }
    }
    expect(empty).toEqual([]);
  });

  test('after a successful run no alert expression has a result (nothing would fire)', async () => {
    for (const { alert, expr } of alertRules()) expect([alert, await vector(expr)]).toEqual([alert, []]);
    const alerts = await api<{ alerts: { labels: Record<string, string>; state: string }[] }>('/api/v1/alerts');
    expect(alerts.data.alerts).toEqual([]);
  });

  test('staleness: time() - crm_table_last_success_timestamp_seconds, one fresh series per table', async () => {
    const ages = byLabel(await vector('time() - crm_table_last_success_timestamp_seconds'), 'table');
    expect(Object.keys(ages).sort()).toEqual([...TABLE_NAMES].sort());
    for (const age of Object.values(ages)) {
      expect(age).toBeGreaterThanOrEqual(0);
      expect(age).toBeLessThan(300);
    }
  });

  test('validation status ok for the three tables', async () => {
    const ok = byLabel(await vector('crm_table_validation_status{status="ok"}'), 'table');
    expect(ok).toEqual(Object.fromEntries(TABLE_NAMES.map((t) => [t, 1])));
    expect(values(await vector('crm_table_validation_status{status!="ok"} == 1'))).toEqual([]);
  });

  test('task outcomes, queue counts, no run in progress, target up', async () => {
    const runs = await vector('crm_task_runs_total{outcome="success"} > 0');
    const key = (s: Sample): string => `${s.metric['task']}/${s.metric['table']}`;
    expect(runs.map(key).sort()).toEqual(
      [...TABLE_NAMES.flatMap((t) => [`refresh/${t}`, `retention/${t}`]), 'validation/all', 'source-audit/all'].sort(),
    );
    expect(values(runs).every((v) => v === 1)).toBe(true);
    expect(values(await vector('sum(increase(crm_task_runs_total{outcome="success"}[1h]))'))[0]).toBeGreaterThan(0);
    const completed = byLabel(await vector('crm_queue_jobs{state="completed"}'), 'queue');
    expect(completed).toEqual({ schedule: 0, 'source-audit': 1, refresh: 3, retention: 3, validation: 1 });
    expect(await vector('crm_queue_jobs{state="failed"} > 0')).toEqual([]);
    expect(values(await vector('crm_run_in_progress_seconds'))).toEqual([0]);
    expect(values(await vector(`up{job="${job}"}`))).toEqual([1]);
  });
});
