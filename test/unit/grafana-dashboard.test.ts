/**
 * The Grafana dashboard imports into any Grafana and provisions from a file:
 * every Prometheus query names its datasource through DS_PROMETHEUS (an
 * import input and a datasource variable of the same name, never a
 * hard-coded uid), every variable a query uses is defined, the `table` and
 * `queue` variables filter the panels with those labels, threshold lines are
 * dashed, and the duration histograms have bounds at 15 minutes and at the
 * default task timeout.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { DURATION_BUCKETS } from '../../src/metrics/task-metrics.js';

const DASHBOARD = 'deploy/grafana/dashboards/crm-materializer.json';
type Json = Record<string, unknown>;
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Json;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every object in the document, depth first. */
function objects(node: unknown, found: Json[] = []): Json[] {
  if (Array.isArray(node)) for (const item of node) objects(item, found);
  else if (isRecord(node)) {
    found.push(node);
    for (const value of Object.values(node)) objects(value, found);
  }
  return found;
}

const panels = (dashboard['panels'] as Json[]).filter((p) => p['type'] !== 'row');
const variables = ((dashboard['templating'] as Json)['list'] as Json[]) ?? [];
const variable = (name: string): Json | undefined => variables.find((v) => v['name'] === name);
const exprsOf = (panel: Json): string[] => ((panel['targets'] as Json[] | undefined) ?? []).map((t) => String(t['expr']));
/** Grafana's own variables (and the import input, resolved on import). */
const BUILT_IN = new Set(['__rate_interval', '__interval', '__range', '__all', 'DS_PROMETHEUS']);

describe('Grafana dashboard: datasource', () => {
  test('an import input DS_PROMETHEUS of the Prometheus plugin', () => {
    expect(dashboard['__inputs']).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
  });

  test('a datasource variable of the same name, for file provisioning (which does not resolve __inputs)', () => {
    expect(variable('DS_PROMETHEUS')).toEqual(expect.objectContaining({ type: 'datasource', query: 'prometheus' }));
  });

  test('no hard-coded datasource uid: every Prometheus reference is ${DS_PROMETHEUS}', () => {
    const refs = objects(dashboard).flatMap((o) => (isRecord(o['datasource']) ? [o['datasource']] : []));
    expect(refs.length).toBeGreaterThan(panels.length);
    const uids = new Set(refs.map((r) => `${String(r['type'])}:${String(r['uid'])}`));
    expect([...uids].sort()).toEqual(['grafana:-- Grafana --', 'prometheus:${DS_PROMETHEUS}']);
    for (const panel of panels) {
      expect(panel['datasource'], String(panel['title'])).toEqual({ type: 'prometheus', uid: '${DS_PROMETHEUS}' });
      for (const t of panel['targets'] as Json[])
        expect(t['datasource'], String(panel['title'])).toEqual({ type: 'prometheus', uid: '${DS_PROMETHEUS}' });
    }
  });
});

describe('Grafana dashboard: variables', () => {
  test('table and queue: label values of the service metrics, several at once or All', () => {
    for (const [name, metric] of [
      ['table', 'crm_table_last_success_timestamp_seconds'],
      ['queue', 'crm_queue_workers'],
    ] as const) {
      const v = variable(name);
      expect(v).toEqual(
        expect.objectContaining({
          type: 'query',
          multi: true,
          includeAll: true,
          datasource: { type: 'prometheus', uid: '${DS_PROMETHEUS}' },
        }),
      );
      expect((v?.['query'] as Json)['query']).toBe(`label_values(${metric}, ${name})`);
    }
  });

  test('every variable a query or a datasource uses is defined', () => {
    const defined = new Set([...variables.map((v) => String(v['name'])), ...BUILT_IN]);
    const used = new Set<string>();
    for (const o of objects(dashboard)) {
      for (const value of Object.values(o)) {
        if (typeof value !== 'string') continue;
        for (const m of value.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g)) used.add(m[1] ?? m[2] ?? '');
      }
    }
    expect(used.size).toBeGreaterThan(0);
    expect([...used].filter((u) => !defined.has(u))).toEqual([]);
  });

  test('every query on a metric with a table or queue label is filtered by the variable', () => {
    const withTable = /crm_(table_[a-z_]+|task_runs_total|task_duration_seconds_bucket)\b/;
    for (const panel of panels) {
      for (const expr of exprsOf(panel)) {
        if (withTable.test(expr)) expect(expr, String(panel['title'])).toMatch(/table=~"\$table/);
        if (/crm_queue_(jobs|workers)\b/.test(expr)) expect(expr, String(panel['title'])).toMatch(/queue=~"\$queue"/);
      }
    }
  });
});

describe('Grafana dashboard: panels and thresholds', () => {
  test('the read API and the source audit have panels', () => {
    const all = panels.flatMap(exprsOf).join('\n');
    for (const metric of [
      'crm_api_requests_total',
      'crm_api_cache_total',
      'crm_api_request_duration_seconds_bucket',
      'crm_api_cache_bypass_total',
      'crm_source_anomalies',
      'crm_source_audit_last_success_timestamp_seconds',
    ]) {
      expect(all).toContain(metric);
    }
    expect(all).toMatch(/status="503"/);
    expect(all).toMatch(/status=~"4\.\.\|5\.\."/);
  });

  test('every threshold line is dashed', () => {
    const styles = objects(dashboard).flatMap((o) => (isRecord(o['thresholdsStyle']) ? [String(o['thresholdsStyle']['mode'])] : []));
    expect(styles.filter((s) => s !== 'off').length).toBeGreaterThanOrEqual(4);
    expect(styles.filter((s) => !['off', 'dashed', 'dashed+area'].includes(s))).toEqual([]);
  });

  test('the duration panels draw 15 minutes and the default timeout, and the timeout series is dashed', () => {
    const timeout = loadConfig({ API_AUTH: 'off', BOARD_AUTH: 'off' }).jobs.timeoutMs / 1000;
    for (const title of ['Run duration', 'Task duration p95 (24 h)']) {
      const panel = panels.find((p) => p['title'] === title);
      const steps = ((((panel?.['fieldConfig'] as Json)['defaults'] as Json)['thresholds'] as Json)['steps'] as Json[]).map(
        (s) => s['value'],
      );
      expect(steps, title).toEqual([null, 900, timeout]);
    }
    const run = panels.find((p) => p['title'] === 'Run duration') as Json;
    const overrides = (run['fieldConfig'] as Json)['overrides'] as Json[];
    const timeoutSeries = overrides.find((o) => JSON.stringify(o['matcher']) === JSON.stringify({ id: 'byName', options: 'task timeout' }));
    const lineStyle = ((timeoutSeries?.['properties'] as Json[] | undefined) ?? []).find((p) => p['id'] === 'custom.lineStyle');
    expect((lineStyle?.['value'] as Json | undefined)?.['fill']).toBe('dash');
  });

  test('duration buckets start at 10 ms and have bounds at 15 minutes and the default timeout', () => {
    const timeout = loadConfig({ API_AUTH: 'off', BOARD_AUTH: 'off' }).jobs.timeoutMs / 1000;
    expect(DURATION_BUCKETS[0]).toBe(0.01);
    expect(DURATION_BUCKETS).toContain(900);
    expect(DURATION_BUCKETS).toContain(timeout);
    expect([...DURATION_BUCKETS].sort((a, b) => a - b)).toEqual(DURATION_BUCKETS);
  });
});
