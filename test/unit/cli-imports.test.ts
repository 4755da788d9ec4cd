/**
 * The CLI's entry point loads no driver and no service library: they are
 * imported when a command runs (`await import(…)`), so `--help`, `--version`
 * and the DuckDB commands stay cheap. Checked on the static import graph of
 * src/cli.ts (what Node loads before any command runs), not by timing.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const HEAVY = [
  '@databricks/sql',
  '@duckdb/node-api',
  'bullmq',
  'ioredis',
  'express',
  '@bull-board/api',
  '@bull-board/express',
  'prom-client',
];

/** Value imports written `import … from '…'` or `export … from '…'` (not `import type`, not dynamic `import()`). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)) if (m[1]) found.push(m[1]);
  for (const m of text.matchAll(/^import\s+'([^']+)'/gm)) if (m[1]) found.push(m[1]);
  return found;
}

/** Every package reachable from `entry` through static imports, with the first file that imports it. */
function reachablePackages(entry: string): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) queue.push(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (!packages.has(spec)) packages.set(spec, file.slice(SRC.length + 1));
    }
  }
  return packages;
}

describe('CLI start-up', () => {
  test('src/cli.ts reaches no driver or service library through static imports', () => {
    const packages = reachablePackages(join(SRC, 'cli.ts'));
    expect(packages.has('commander')).toBe(true); // the walk does see packages
    const heavy = [...packages].filter(([name]) => HEAVY.some((h) => name === h || name.startsWith(`${h}/`)));
    expect(heavy.map(([name, from]) => `${name} (imported by ${from})`)).toEqual([]);
  });
});
