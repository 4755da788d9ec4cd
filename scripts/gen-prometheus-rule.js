#!/usr/bin/env node
// Writes k8s/base/prometheusrule.yaml (a Prometheus Operator PrometheusRule)
// from deploy/prometheus/alerts.yml, so that Kubernetes gets exactly the rules
// that promtool checks and unit-tests. alerts.yml is the one source of truth.
//
//   node scripts/gen-prometheus-rule.js           # (re)write the file
//   node scripts/gen-prometheus-rule.js --check   # exit 1 if it is stale
//
// test/deploy/kubernetes.test.ts runs the check.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const ALERTS = 'deploy/prometheus/alerts.yml';
const OUTPUT = 'k8s/base/prometheusrule.yaml';
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The PrometheusRule manifest (text) for the rules file's text. */
export function renderPrometheusRule(alertsText) {
  const rules = parse(alertsText);
  if (rules === null || typeof rules !== 'object' || !Array.isArray(rules.groups) || rules.groups.length === 0) {
    throw new Error(`${ALERTS}: expected a rules file with a non-empty "groups" list`);
  }
  const manifest = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'crm-materializer',
      labels: { 'app.kubernetes.io/name': 'crm-materializer' },
    },
    spec: { groups: rules.groups },
  };
  const header = [
    `# GENERATED from ${ALERTS} by scripts/gen-prometheus-rule.js: do not edit.`,
    `# Change the rules in ${ALERTS} (and their tests), then run`,
    '#   node scripts/gen-prometheus-rule.js',
    '',
  ].join('\n');
  return header + stringify(manifest, { lineWidth: 0 });
}

function main(argv) {
  const expected = renderPrometheusRule(readFileSync(`${ROOT}${ALERTS}`, 'utf8'));
  if (argv.includes('--check')) {
    let actual = '';
    try {
      actual = readFileSync(`${ROOT}${OUTPUT}`, 'utf8');
    } catch {
      // missing: stale
    }
    if (actual !== expected) {
      console.error(`${OUTPUT} is out of date with ${ALERTS}: run node scripts/gen-prometheus-rule.js`);
      return 1;
    }
    console.log(`${OUTPUT} matches ${ALERTS}`);
    return 0;
  }
  writeFileSync(`${ROOT}${OUTPUT}`, expected);
  console.log(`wrote ${OUTPUT} from ${ALERTS}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
