/**
 * The docs promise only what the code does: every `crm-materializer …`
 * command line, job id, metric and alert name in README.md and docs/ is
 * checked against the real CLI, the job id builders, the metrics registry and
 * the alert rules.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { buildProgram } from '../../src/cli.js';
import { fixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/index.js';
import { createMetrics } from '../../src/metrics/index.js';
import { jobIds, QUEUE_NAMES } from '../../src/queue/jobs.js';
import type { Queues } from '../../src/queue/queues.js';
import type { StateStore } from '../../src/state/store.js';
import { TABLE_NAMES } from '../../src/tables/registry.js';

const DOCS = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const text = (file: string): string => readFileSync(file, 'utf8');

/** Inline code spans and fenced code lines: where docs put what a reader types or greps. */
function codeOf(markdown: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) out.push(line);
    else for (const m of line.matchAll(/`([^`]+)`/g)) out.push(m[1] ?? '');
  }
  return out;
}

const program = buildProgram({ out: () => undefined, err: () => undefined }, () => undefined);
function findCommand(words: string[]): { command: Command; used: number } | undefined {
  let command: Command = program;
  let used = 0;
  for (const w of words) {
    const sub = command.commands.find((c) => c.name() === w);
    if (!sub) break;
    command = sub;
    used++;
  }
  return used === 0 ? undefined : { command, used };
}

describe('docs match the code', () => {
  const lines = DOCS.flatMap((file) => codeOf(text(file)).map((code) => ({ file, code })));

  test('every crm-materializer command line names a real command and real flags', () => {
    const uses = lines.flatMap(({ file, code }) =>
      [...code.matchAll(/(?:^|npx |\$ |&& |; )crm-materializer ((?:[a-z][\w-]* ?)+(?:(?: --?[a-z][\w-]*(?: [^\s-][^\s]*)?)*))/g)].map(
        (m) => ({ file, line: m[0], args: (m[1] ?? '').trim().split(/\s+/) }),
      ),
    );
    expect(uses.length).toBeGreaterThan(10);
    for (const { file, line, args } of uses) {
      const words = args.filter((a) => !a.startsWith('-'));
      const found = findCommand(words);
      expect(found, `${file}: '${line}' names no command`).toBeDefined();
      const flags = new Set(found!.command.options.flatMap((o) => [o.long, o.short]).filter(Boolean));
      flags.add('--help');
      for (const flag of args.filter((a) => a.startsWith('-')))
        expect(flags.has(flag), `${file}: '${line}': ${flag} is not a flag of '${found!.command.name()}'`).toBe(true);
    }
  });

  test('every job id pattern is what the id builders make', () => {
    const made = new Set(
      [jobIds.refresh('crm_metrics_daily', 'D'), jobIds.retention('crm_metrics_daily', 'D'), jobIds.validation('D')].map(
        (id) =>
          id
            .replace(/crm_metrics_daily/, '<table>')
            .replace(/D$/, '<D>')
            .split('<')[0],
      ),
    );
    const ids = lines.flatMap(({ file, code }) =>
      [...code.matchAll(/\b(refresh|retention|validation)([_:]{1,2})(<|crm_|\d{4}-)/g)].map((m) => ({
        file,
        prefix: `${m[1]}${m[2]}`,
        code,
      })),
    );
    expect(ids.length).toBeGreaterThan(3);
    for (const { file, prefix, code } of ids)
      expect(made.has(prefix), `${file}: '${code}' is not a job id the service makes (${[...made].join(', ')})`).toBe(true);
  });

  test('every metric name is exported and every alert name is a rule', async () => {
    const config = loadConfig({ API_AUTH: 'off', BOARD_AUTH: 'off' });
    const queues = Object.fromEntries(QUEUE_NAMES.map((q) => [q, {}])) as unknown as Queues;
    const metrics = createMetrics(config, { queues, state: {} as StateStore, clock: fixedClock('2026-11-29T10:00:00Z'), shared: true });
    const exported = new Set(
      (await metrics.registry.getMetricsAsJSON()).flatMap((m) =>
        String(m.type) === 'histogram' ? [m.name, `${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name],
      ),
    );
    const tables = new Set<string>(TABLE_NAMES);
    const rules = (parse(text('deploy/prometheus/alerts.yml')) as { groups: { rules: { alert?: string }[] }[] }).groups.flatMap((g) =>
      g.rules.map((r) => r.alert),
    );
    for (const { file, code } of lines) {
      for (const [name] of code.matchAll(/\bcrm_[a-z_]+[a-z]\b/g)) {
        if (tables.has(name) || name.startsWith('crm_materializer')) continue;
        expect(exported.has(name), `${file}: '${name}' in '${code}' is not an exported metric`).toBe(true);
      }
      for (const [name] of code.matchAll(/\bCrm[A-Z][A-Za-z]+\b/g))
        expect(rules, `${file}: alert '${name}' is not in deploy/prometheus/alerts.yml`).toContain(name);
    }
  });
});
