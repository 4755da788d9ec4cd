/**
 * The SQL of a run, committed: for each engine, each task and each table,
 * what `sql render` prints for one fixed date and instant is a file under
 * test/golden/sql/<engine>/, so a change to the SQL shows up as a diff in
 * review. A difference fails here; `npm run golden:update` (or
 * `UPDATE_GOLDEN=1 npx vitest run test/unit/golden-sql.test.ts`) rewrites
 * the files, removing those no step produces any more.
 *
 * The built CLI prints the same text (checked through a child process, with
 * its own instant replaced by the fixed one).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { renderSteps, type RenderedStep } from '../../src/cli/sql-render.js';
import { loadConfig } from '../../src/config/index.js';
import type { Engine } from '../../src/warehouse/types.js';
import { runCli } from '../support/cli.js';
import { parseIsoDate } from '../../src/dates.js';

const DIR = fileURLToPath(new URL('../golden/sql/', import.meta.url));
const DATE = parseIsoDate('2026-11-29');
/** The instant written into atualizado_em: the daily tick of DATE (06:00 in São Paulo). */
const WRITTEN_AT = '2026-11-29T09:00:00.000Z';
/** The defaults, with the optional after-refresh statements on so that their SQL is reviewed too. */
const ENV = { OPTIMIZE_AFTER_REFRESH: 'true' };
const ENGINES: readonly Engine[] = ['duckdb', 'databricks'];
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const rendered = (engine: Engine): RenderedStep[] => renderSteps(loadConfig(ENV), engine, DATE, new Date(WRITTEN_AT));

/** One file per task and table (`refresh__crm_metrics_daily.sql`), or per task for steps over no single table. */
function goldenFiles(engine: Engine): Map<string, string> {
  const files = new Map<string, string>();
  for (const { step, text } of rendered(engine)) {
    const name = `${step.task}${step.table ? `__${step.table}` : ''}.sql`;
    files.set(name, `${files.get(name) ?? ''}${text}\n`);
  }
  return files;
}

describe.each(ENGINES)('golden SQL (%s)', (engine) => {
  const dir = join(DIR, engine);
  const expected = goldenFiles(engine);

  if (UPDATE) {
    test('rewrite the golden files', () => {
      mkdirSync(dir, { recursive: true });
      for (const name of readdirSync(dir)) if (!expected.has(name)) rmSync(join(dir, name));
      for (const [name, text] of expected) writeFileSync(join(dir, name), text);
    });
    return;
  }

  test('every task and table has its file, and no other file is there', () => {
    const missing = 'missing: run `npm run golden:update` and review the diff';
    const present = (() => {
      try {
        return readdirSync(dir).sort();
      } catch {
        return [missing];
      }
    })();
    expect(present).toEqual([...expected.keys()].sort());
    for (const table of ['crm_metrics_daily', 'crm_action_priorities_daily', 'crm_actions_open_snapshot']) {
      for (const task of ['refresh', 'retention', 'validation']) expect(present).toContain(`${task}__${table}.sql`);
    }
  });

  test.each([...expected.keys()])('%s is what sql render prints (if the change is intended: npm run golden:update)', (name) => {
    expect(expected.get(name)).toBe(readFileSync(join(dir, name), 'utf8'));
  });
});

describe('sql render through the built CLI', () => {
  test.each(ENGINES)('--engine %s prints the golden steps, in the plan order', async (engine) => {
    const r = await runCli(['sql', 'render', '--engine', engine, '--date', DATE], ENV);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // The CLI writes the instant it runs at; the golden files hold the fixed one.
    const stdout = r.stdout.replace(/written_at=TIMESTAMP \S+?([,\]])/g, `written_at=TIMESTAMP ${WRITTEN_AT}$1`);
    expect(stdout).toBe(
      rendered(engine)
        .map(({ text }) => `${text}\n`)
        .join(''),
    );
  });
});
