// Alerting as code: Prometheus rules and their unit tests, the Prometheus and
// Alertmanager configurations, the Grafana dashboard and the runbook they link
// to, checked with the real promtool / amtool / alertmanager binaries.
//
// The tools come from Debian's packages `prometheus` and
// `prometheus-alertmanager`: run scripts/install-prometheus-tools.sh. Without
// them these tests fail (they do not skip). PROMTOOL, AMTOOL and ALERTMANAGER
// may name other binaries.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { freePort } from '../support/net.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ALERTS = 'deploy/prometheus/alerts.yml';
/** promtool unit tests: minute-level cases, and the ones spanning days (evaluated every 10 minutes). */
const ALERTS_TESTS = ['deploy/prometheus/alerts.test.yml', 'deploy/prometheus/alerts-long.test.yml'];
const PROMETHEUS_CONFIG = 'deploy/prometheus/prometheus.yml';
const ALERTMANAGER_CONFIG = 'deploy/alertmanager/alertmanager.yml';
const DASHBOARD = 'deploy/grafana/dashboards/crm-materializer.json';
const GRAFANA_DATASOURCES = 'deploy/grafana/provisioning/datasources/prometheus.yml';
const RUNBOOK = 'docs/runbook.md';
/** Every runbook_url: the configured base (Prometheus external label runbook_base_url) or the repository's docs/runbook.md, then #<alert>. */
const RUNBOOK_URL = /^\{\{ with \$externalLabels\.runbook_base_url \}\}\{\{ \. \}\}\{\{ else \}\}docs\/runbook\.md\{\{ end \}\}#([a-z]+)$/;
const INSTALL_HINT = 'install with scripts/install-prometheus-tools.sh';
const TOOL_TIMEOUT_MS = 120_000;

const PROMTOOL = process.env['PROMTOOL'] ?? 'promtool';
const AMTOOL = process.env['AMTOOL'] ?? 'amtool';
const ALERTMANAGER = process.env['ALERTMANAGER'] ?? 'prometheus-alertmanager';

/** The metric names the service exports (its metric contract). */
const CONTRACT_METRICS = new Set<string>([
  ...histogram('crm_task_duration_seconds'),
  'crm_task_runs_total',
  ...histogram('crm_run_duration_seconds'),
  'crm_runs_slow_total',
  'crm_run_in_progress_seconds',
  'crm_run_timeout_seconds',
  'crm_table_last_success_timestamp_seconds',
  'crm_table_rows_written',
  'crm_table_rows',
  'crm_table_data_lag_days',
  'crm_table_task_failed',
  'crm_shared_state_up',
  'crm_table_validation_status',
  'crm_table_refresh_in_progress',
  'crm_validation_check_failures',
  'crm_validation_last_timestamp_seconds',
  'crm_scheduler_next_run_timestamp_seconds',
  'crm_scheduler_last_enqueued_timestamp_seconds',
  'crm_scheduler_paused',
  'crm_scheduler_paused_timestamp_seconds',
  'crm_scheduler_pause_alert_seconds',
  'crm_queue_jobs',
  'crm_queue_workers',
  'crm_source_anomalies',
  'crm_source_audit_last_success_timestamp_seconds',
  ...histogram('crm_warehouse_statement_duration_seconds'),
  'crm_api_requests_total',
  ...histogram('crm_api_request_duration_seconds'),
  'crm_api_cache_total',
  'crm_api_cache_bypass_total',
  'crm_api_warehouse_queries_total',
  'crm_api_cache_keys',
  'crm_api_cache_bytes',
]);

function histogram(name: string): string[] {
  return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
}

// ---------------------------------------------------------------- helpers

interface RunResult {
  status: number | null;
  output: string;
}

function toolAvailable(tool: string): boolean {
  const probe = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  return probe.error === undefined && probe.status === 0;
}

function requireTool(tool: string): void {
  if (!toolAvailable(tool)) {
    throw new Error(`${tool} not found (or not runnable) on PATH: ${INSTALL_HINT}`);
  }
}

function run(tool: string, args: string[], cwd = ROOT, timeout = TOOL_TIMEOUT_MS): RunResult {
  requireTool(tool);
  const result = spawnSync(tool, args, { cwd, encoding: 'utf8', timeout });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function expectSuccess(result: RunResult, what: string): void {
  if (result.status !== 0) {
    throw new Error(`${what} failed (exit ${String(result.status)}):\n${result.output}`);
  }
}

function readText(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

function readYaml(path: string): unknown {
  return parse(readText(path));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list`);
  return value;
}

function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) throw new Error(`${what}: expected a mapping`);
  return value;
}

/** Prometheus duration ("1d", "2905m", "1h30m", "0m") in seconds. */
function durationSeconds(text: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new Error(`not a Prometheus duration: ${text}`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (units[p[2] ?? ''] ?? Number.NaN), 0);
}

/** Anchors GitHub generates for the Markdown headings outside code fences. */
function markdownAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      inFence = !inFence;
      continue;
    }
    const heading = inFence ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = (heading[1] ?? '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

interface AlertRule {
  alert: string;
  expr: string;
  forSeconds: number;
  labels: Record<string, unknown>;
  annotations: Record<string, unknown>;
}

function loadAlertRules(): AlertRule[] {
  const doc = asRecord(readYaml(ALERTS), ALERTS);
  const groups = asArray(doc['groups'], `${ALERTS} groups`);
  const rules: AlertRule[] = [];
  for (const group of groups) {
    for (const raw of asArray(asRecord(group, 'group')['rules'], 'rules')) {
      const rule = asRecord(raw, 'rule');
      if (typeof rule['alert'] !== 'string') continue;
      rules.push({
        alert: rule['alert'],
        expr: String(rule['expr']),
        forSeconds: typeof rule['for'] === 'string' ? durationSeconds(rule['for']) : 0,
        labels: isRecord(rule['labels']) ? rule['labels'] : {},
        annotations: isRecord(rule['annotations']) ? rule['annotations'] : {},
      });
    }
  }
  return rules;
}

interface AlertCase {
  test: string;
  evalSeconds: number;
  firing: boolean;
}

/** alertname -> the alert_rule_test cases of the promtool test files that check it. */
function loadAlertCases(): Map<string, AlertCase[]> {
  const cases = new Map<string, AlertCase[]>();
  const tests = ALERTS_TESTS.flatMap((file) => asArray(asRecord(readYaml(file), file)['tests'], 'tests'));
  for (const [index, rawTest] of tests.entries()) {
    const test = asRecord(rawTest, 'test');
    const name = typeof test['name'] === 'string' ? test['name'] : `test #${index + 1}`;
    for (const rawCase of asArray(test['alert_rule_test'] ?? [], 'alert_rule_test')) {
      const c = asRecord(rawCase, 'alert_rule_test case');
      const alertname = String(c['alertname']);
      const expAlerts = c['exp_alerts'];
      const firing = Array.isArray(expAlerts) && expAlerts.length > 0;
      const list = cases.get(alertname) ?? [];
      list.push({ test: name, evalSeconds: durationSeconds(String(c['eval_time'])), firing });
      cases.set(alertname, list);
    }
  }
  return cases;
}

/** Every string under a key named `expr`, anywhere in a JSON document. */
function collectExprs(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const item of node) collectExprs(item, found);
  } else if (isRecord(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'expr' && typeof value === 'string') found.push(value);
      else collectExprs(value, found);
    }
  }
  return found;
}

/** Grafana's built-in interval variables, replaced by durations PromQL accepts. */
function withoutGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, '5m')
    .replace(/\$__interval|\$\{__interval\}/g, '1m')
    .replace(/\$__range|\$\{__range\}/g, '1d');
}

function crmMetricNames(expr: string): string[] {
  return [...expr.matchAll(/\bcrm_[a-z0-9_]+/g)].map((m) => m[0]);
}

/** promtool check rules on expressions written as recording rules. */
function checkExpressions(exprs: string[], dir: string, fileName: string): RunResult {
  const rulesFile = join(dir, fileName);
  const rules = exprs.map((expr, i) => ({ record: `check:expr_${i}`, expr }));
  writeFileSync(rulesFile, stringify({ groups: [{ name: 'expressions', rules }] }));
  return run(PROMTOOL, ['check', 'rules', rulesFile]);
}

function routeReceivers(labels: string[]): { status: number | null; receivers: string } {
  const result = run(AMTOOL, ['config', 'routes', 'test', `--config.file=${ALERTMANAGER_CONFIG}`, ...labels]);
  const receivers = result.output
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('Warning:'))
    .join('\n')
    .trim();
  return { status: result.status, receivers };
}

let scratch = '';
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'crm-alerting-'));
});
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

// ---------------------------------------------------------------- tools

describe('alerting tools', () => {
  it('promtool, amtool and alertmanager are installed', () => {
    const missing = [PROMTOOL, AMTOOL, ALERTMANAGER].filter((tool) => !toolAvailable(tool));
    expect(missing, `missing ${missing.join(', ')}: ${INSTALL_HINT}`).toEqual([]);
  });
});

// ---------------------------------------------------------------- Prometheus

describe('Prometheus rules and configuration', () => {
  it(
    'alerts.yml passes promtool check rules',
    () => {
      const result = run(PROMTOOL, ['check', 'rules', ALERTS]);
      expectSuccess(result, `promtool check rules ${ALERTS}`);
      expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
    },
    TOOL_TIMEOUT_MS,
  );

  it(
    'the alert unit tests pass (promtool test rules)',
    () => {
      const result = run(PROMTOOL, ['test', 'rules', ...ALERTS_TESTS], ROOT, 5 * TOOL_TIMEOUT_MS);
      expectSuccess(result, `promtool test rules ${ALERTS_TESTS.join(' ')}`);
      expect(result.output).toContain('SUCCESS');
    },
    5 * TOOL_TIMEOUT_MS,
  ); // days of rule evaluations: minutes of CPU on a loaded two-core machine

  it(
    'prometheus.yml passes promtool check config and loads alerts.yml',
    () => {
      const result = run(PROMTOOL, ['check', 'config', PROMETHEUS_CONFIG]);
      expectSuccess(result, `promtool check config ${PROMETHEUS_CONFIG}`);
      expect(result.output).toContain('1 rule files found');
      expect(result.output).toContain(`Checking ${ALERTS}`);
    },
    TOOL_TIMEOUT_MS,
  );

  it('scrapes the service as job crm-materializer and sends alerts to alertmanager', () => {
    const config = asRecord(readYaml(PROMETHEUS_CONFIG), PROMETHEUS_CONFIG);
    const jobs = asArray(config['scrape_configs'], 'scrape_configs').map((j) => asRecord(j, 'scrape config'));
    const service = jobs.find((j) => j['job_name'] === 'crm-materializer');
    expect(service, 'a scrape config with job_name crm-materializer').toBeDefined();
    expect(JSON.stringify(service)).toContain('web:3000');
    expect(JSON.stringify(config['alerting'])).toContain('alertmanager:9093');
  });
});

describe('alert definitions', () => {
  const rules = loadAlertRules();
  const runbookAnchors = markdownAnchors(readText(RUNBOOK));
  const cases = loadAlertCases();

  it('define the alerts the service is watched with', () => {
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size, 'alert names are unique').toBe(names.length);
    for (const required of [
      'CrmTaskFailed',
      'CrmRunSlow',
      'CrmRunPastTimeout',
      'CrmTableStale',
      'CrmDataLag',
      'CrmValidationFailed',
      'CrmSchedulerMissed',
      'CrmQueueNoWorker',
      'CrmServiceDown',
    ]) {
      expect(names).toContain(required);
    }
  });

  it.each(rules.map((r) => [r.alert, r] as const))('%s has severity, summary, description and a runbook_url', (_name, rule) => {
    expect(['critical', 'warning', 'info']).toContain(rule.labels['severity']);
    for (const key of ['summary', 'description', 'runbook_url']) {
      expect(typeof rule.annotations[key] === 'string' && rule.annotations[key] !== '', `annotation ${key}`).toBe(true);
    }
    const url = String(rule.annotations['runbook_url']);
    const anchor = RUNBOOK_URL.exec(url)?.[1];
    expect(anchor, `${url} is built from runbook_base_url with docs/runbook.md as the default`).toBeDefined();
    expect(anchor).toBe(rule.alert.toLowerCase());
    expect(runbookAnchors.has(anchor ?? ''), `${RUNBOOK} has a heading with anchor #${anchor}`).toBe(true);
  });

  it.each(rules.map((r) => [r.alert, r] as const))('%s names the table in its texts when its expression keeps one', (_name, rule) => {
    const keepsTable = /by \(([^)]*\b)?table\b/.test(rule.expr);
    if (!keepsTable) return;
    const texts = `${String(rule.annotations['summary'])} ${String(rule.annotations['description'])}`;
    expect(texts).toContain('{{ $labels.table }}');
  });

  it.each(rules.map((r) => [r.alert, r] as const))('%s only uses metrics of the metric contract', (_name, rule) => {
    for (const metric of crmMetricNames(rule.expr)) {
      expect(CONTRACT_METRICS.has(metric), `${metric} is in the metric contract`).toBe(true);
    }
  });

  it.each(rules.map((r) => [r.alert, r] as const))('%s is tested firing and not firing, before and after its for:', (_name, rule) => {
    const mine = cases.get(rule.alert) ?? [];
    expect(
      mine.some((c) => c.firing),
      `the promtool tests has a case where ${rule.alert} fires`,
    ).toBe(true);
    expect(
      mine.some((c) => !c.firing),
      `the promtool tests has a case where ${rule.alert} does not fire`,
    ).toBe(true);
    if (rule.forSeconds > 0) {
      // A "not yet" case: silent at most `for` before a firing case of the same test.
      const justBefore = mine.some(
        (firing) =>
          firing.firing &&
          mine.some(
            (silent) =>
              !silent.firing &&
              silent.test === firing.test &&
              silent.evalSeconds < firing.evalSeconds &&
              firing.evalSeconds - silent.evalSeconds <= rule.forSeconds,
          ),
      );
      expect(justBefore, `${rule.alert}: a case that does not fire yet, less than its for: before it fires`).toBe(true);
    }
  });

  it('the unit tests only name alerts that exist', () => {
    const names = new Set(rules.map((r) => r.alert));
    for (const alertname of cases.keys()) expect(names.has(alertname), `${alertname} is defined in ${ALERTS}`).toBe(true);
  });

  it('every link inside the runbook points at an existing section', () => {
    for (const match of readText(RUNBOOK).matchAll(/\]\(#([^)]+)\)/g)) {
      expect(runbookAnchors.has(match[1] ?? ''), `#${match[1]} exists in ${RUNBOOK}`).toBe(true);
    }
    expect(runbookAnchors.has('validation-by-hand')).toBe(true);
  });
});

// ---------------------------------------------------------------- Alertmanager

describe('Alertmanager configuration', () => {
  it(
    'passes amtool check-config',
    () => {
      const result = run(AMTOOL, ['check-config', ALERTMANAGER_CONFIG]);
      expectSuccess(result, `amtool check-config ${ALERTMANAGER_CONFIG}`);
      expect(result.output).toContain('SUCCESS');
    },
    TOOL_TIMEOUT_MS,
  );

  it.each([
    [['severity=critical', 'alertname=CrmTableStale', 'table=crm_metrics_daily'], 'crm-email-critical'],
    [['severity=critical', 'alertname=CrmTaskFailed', 'task=refresh', 'table=crm_actions_open_snapshot'], 'crm-email-critical'],
    [['severity=warning', 'alertname=CrmDataLag', 'table=crm_metrics_daily'], 'crm-email-warning'],
    [['severity=info', 'alertname=CrmTableRefreshInProgress', 'table=crm_metrics_daily'], 'null'],
    [['alertname=SomethingWithoutSeverity'], 'crm-email-warning'],
  ])(
    'routes %j to %s',
    (labels, receiver) => {
      const { status, receivers } = routeReceivers(labels);
      expect(status).toBe(0);
      expect(receivers).toBe(receiver);
      const verified = run(AMTOOL, [
        'config',
        'routes',
        'test',
        `--config.file=${ALERTMANAGER_CONFIG}`,
        `--verify.receivers=${receiver}`,
        ...labels,
      ]);
      expectSuccess(verified, `amtool config routes test --verify.receivers=${receiver}`);
    },
    TOOL_TIMEOUT_MS,
  );

  it('groups by alertname and table, and sends e-mail with the password read from a file', () => {
    const config = asRecord(readYaml(ALERTMANAGER_CONFIG), ALERTMANAGER_CONFIG);
    const route = asRecord(config['route'], 'route');
    expect(route['group_by']).toEqual(['alertname', 'table']);
    const global = asRecord(config['global'], 'global');
    expect(global['smtp_auth_password']).toBeUndefined();
    expect(typeof global['smtp_auth_password_file']).toBe('string');
    const receivers = asArray(config['receivers'], 'receivers').map((r) => asRecord(r, 'receiver'));
    expect(receivers.some((r) => Array.isArray(r['email_configs']))).toBe(true);
  });

  it('inhibition rules name alerts that exist', () => {
    const names = new Set(loadAlertRules().map((r) => r.alert));
    const config = asRecord(readYaml(ALERTMANAGER_CONFIG), ALERTMANAGER_CONFIG);
    for (const rule of asArray(config['inhibit_rules'], 'inhibit_rules')) {
      const r = asRecord(rule, 'inhibit rule');
      const matchers = [...asArray(r['source_matchers'] ?? [], 'source'), ...asArray(r['target_matchers'] ?? [], 'target')];
      for (const matcher of matchers) {
        const m = /^alertname="([^"]+)"$/.exec(String(matcher));
        if (m) expect(names.has(m[1] ?? ''), `inhibited/inhibiting alert ${m[1]} exists`).toBe(true);
      }
    }
  });
});

// Inhibition cannot be checked offline by amtool: run a real Alertmanager on
// loopback with this configuration (receivers emptied, so that nothing is
// sent), post alerts to it and read which ones it reports as inhibited.
describe('Alertmanager inhibition (real alertmanager on 127.0.0.1)', () => {
  let child: ChildProcess | undefined;
  let baseUrl = '';
  let logs = '';

  beforeAll(async () => {
    // Without the binary the test below fails with the install hint.
    if (!toolAvailable(ALERTMANAGER)) return;
    const config = asRecord(readYaml(ALERTMANAGER_CONFIG), ALERTMANAGER_CONFIG);
    config['receivers'] = asArray(config['receivers'], 'receivers').map((r) => ({ name: asRecord(r, 'receiver')['name'] }));
    const dir = mkdtempSync(join(scratch, 'alertmanager-'));
    const configFile = join(dir, 'alertmanager.yml');
    writeFileSync(configFile, stringify(config));
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    child = spawn(
      ALERTMANAGER,
      [
        `--config.file=${configFile}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const collect = (chunk: Buffer): void => {
      logs += chunk.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`alertmanager exited (${child.exitCode}):\n${logs}`);
      try {
        if ((await fetch(`${baseUrl}/-/ready`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`alertmanager not ready after 20 s:\n${logs}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 30_000);

  afterAll(async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });

  it('applies the inhibition rules', async () => {
    requireTool(ALERTMANAGER);
    const alert = (labels: Record<string, string>) => ({ labels, annotations: {}, startsAt: new Date().toISOString() });
    const posted = [
      // Stale while being refreshed: inhibited. Stale and not being refreshed: active.
      alert({ alertname: 'CrmTableStale', severity: 'critical', table: 'crm_actions_open_snapshot' }),
      alert({ alertname: 'CrmTableRefreshInProgress', severity: 'info', table: 'crm_actions_open_snapshot' }),
      alert({ alertname: 'CrmTableStale', severity: 'critical', table: 'crm_action_priorities_daily' }),
      // A warning under a critical alert of the same table: inhibited. No critical
      // alert names crm_metrics_daily (a failing check has no table): active.
      alert({ alertname: 'CrmDataLag', severity: 'warning', table: 'crm_action_priorities_daily' }),
      alert({ alertname: 'CrmValidationFailed', severity: 'critical', check: 'snapshot_unique_actions' }),
      alert({ alertname: 'CrmDataLag', severity: 'warning', table: 'crm_metrics_daily' }),
      // Slow and past the timeout: only the critical one.
      alert({ alertname: 'CrmRunPastTimeout', severity: 'critical' }),
      alert({ alertname: 'CrmRunSlow', severity: 'warning' }),
      // Service down hides the scheduler alert.
      alert({ alertname: 'CrmServiceDown', severity: 'critical', job: 'crm-materializer', instance: 'web:3000' }),
      alert({ alertname: 'CrmSchedulerMissed', severity: 'critical' }),
      // A critical alert without a table does not hide an unrelated warning.
      alert({ alertname: 'CrmQueueNoWorker', severity: 'critical', queue: 'refresh' }),
      alert({ alertname: 'CrmValidationMissing', severity: 'warning' }),
    ];
    const response = await fetch(`${baseUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(posted),
    });
    expect(response.status, await response.text()).toBe(200);

    const got = (await (await fetch(`${baseUrl}/api/v2/alerts`)).json()) as Array<{
      labels: Record<string, string>;
      status: { state: string; inhibitedBy: string[] };
    }>;
    const state = (alertname: string, table?: string): string => {
      const found = got.find((a) => a.labels['alertname'] === alertname && a.labels['table'] === table);
      if (!found) throw new Error(`alert ${alertname}/${String(table)} not in Alertmanager:\n${JSON.stringify(got)}`);
      return found.status.inhibitedBy.length > 0 ? 'inhibited' : found.status.state;
    };

    expect(state('CrmTableStale', 'crm_actions_open_snapshot')).toBe('inhibited');
    expect(state('CrmTableStale', 'crm_action_priorities_daily')).toBe('active');
    expect(state('CrmDataLag', 'crm_action_priorities_daily')).toBe('inhibited');
    expect(state('CrmDataLag', 'crm_metrics_daily')).toBe('active');
    expect(state('CrmValidationFailed')).toBe('active');
    expect(state('CrmRunSlow')).toBe('inhibited');
    expect(state('CrmRunPastTimeout')).toBe('active');
    expect(state('CrmSchedulerMissed')).toBe('inhibited');
    expect(state('CrmServiceDown')).toBe('active');
    expect(state('CrmValidationMissing')).toBe('active');
    expect(state('CrmQueueNoWorker')).toBe('active');
  }, 30_000);

  it('a broken source that fails several tables is one notification group, not one per table', async () => {
    requireTool(ALERTMANAGER);
    const alert = (labels: Record<string, string>) => ({ labels, annotations: {}, startsAt: new Date().toISOString() });
    const posted = ['crm_action_priorities_daily', 'crm_actions_open_snapshot'].map((table) =>
      alert({ alertname: 'CrmTaskFailed', severity: 'critical', task: 'refresh', table }),
    );
    const response = await fetch(`${baseUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(posted),
    });
    expect(response.status, await response.text()).toBe(200);
    const groups = (await (await fetch(`${baseUrl}/api/v2/alerts/groups`)).json()) as Array<{
      labels: Record<string, string>;
      alerts: { labels: Record<string, string> }[];
    }>;
    const failed = groups.filter((g) => g.alerts.some((a) => a.labels['alertname'] === 'CrmTaskFailed'));
    expect(failed).toHaveLength(1);
    expect(failed[0]?.labels).toEqual({ alertname: 'CrmTaskFailed' });
    expect(failed[0]?.alerts.map((a) => a.labels['table']).sort()).toEqual(['crm_action_priorities_daily', 'crm_actions_open_snapshot']);
  }, 30_000);
});

// ---------------------------------------------------------------- Grafana

describe('Grafana dashboard', () => {
  const dashboard: unknown = JSON.parse(readText(DASHBOARD));
  const exprs = collectExprs(dashboard);

  it('has the expected panels', () => {
    const titles: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (isRecord(node)) {
        if (typeof node['title'] === 'string' && node['type'] !== 'row') titles.push(node['title']);
        if (Array.isArray(node['panels'])) walk(node['panels']);
      }
    };
    walk(asRecord(dashboard, DASHBOARD)['panels']);
    for (const expected of [
      'Run duration',
      'Task outcomes',
      'Staleness',
      'Data lag',
      'Rows',
      'Queue depth',
      'Failed jobs',
      'Warehouse seconds per run',
      'Validation status',
    ]) {
      expect(
        titles.some((t) => t.startsWith(expected)),
        `a panel titled "${expected}…"`,
      ).toBe(true);
    }
    expect(exprs.length).toBeGreaterThanOrEqual(10);
  });

  it('queries the Prometheus datasource through DS_PROMETHEUS, a variable of the provisioned datasource type', () => {
    const provisioning = asRecord(readYaml(GRAFANA_DATASOURCES), GRAFANA_DATASOURCES);
    const types = asArray(provisioning['datasources'], 'datasources').map((d) => asRecord(d, 'datasource')['type']);
    const used = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (isRecord(node)) {
        const ds = node['datasource'];
        if (isRecord(ds) && ds['type'] === 'prometheus') used.add(String(ds['uid']));
        Object.values(node).forEach(walk);
      }
    };
    walk(dashboard);
    expect([...used]).toEqual(['${DS_PROMETHEUS}']);
    const list = asArray(asRecord(asRecord(dashboard, DASHBOARD)['templating'], 'templating')['list'], 'templating.list');
    const variable = list.map((v) => asRecord(v, 'variable')).find((v) => v['name'] === 'DS_PROMETHEUS');
    expect(variable?.['type']).toBe('datasource');
    expect(types).toContain(variable?.['query']);
  });

  it('only queries metrics of the metric contract', () => {
    for (const expr of exprs) {
      for (const metric of crmMetricNames(expr)) {
        expect(CONTRACT_METRICS.has(metric), `${metric} (in ${expr}) is in the metric contract`).toBe(true);
      }
    }
  });

  it(
    'every PromQL expression parses (promtool check rules on them as recording rules)',
    () => {
      const result = checkExpressions(exprs.map(withoutGrafanaVariables), scratch, 'dashboard-exprs.yml');
      expectSuccess(result, 'promtool check rules on the dashboard expressions');
      expect(result.output).toContain(`SUCCESS: ${exprs.length} rules found`);
    },
    TOOL_TIMEOUT_MS,
  );

  it(
    'the expression check does reject an invalid expression',
    () => {
      const result = checkExpressions(['sum by (table) (crm_table_rows'], scratch, 'invalid-expr.yml');
      expect(result.status).not.toBe(0);
    },
    TOOL_TIMEOUT_MS,
  );
});
