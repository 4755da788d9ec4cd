/** The layer rule of `npm run lint` (scripts/check-layers.mjs): this repository passes it, and it catches what it must. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
// @ts-expect-error: a plain JavaScript script without type declarations
import { check, LAYERS } from '../../scripts/check-layers.mjs';

const run = check as (src?: string) => string[];
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function tree(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), 'crm-layers-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('layers', () => {
  test('src/ has no up-layer import and no cycle; README lists every layer in order', () => {
    expect(run()).toEqual([]);
    const readme = readFileSync('README.md', 'utf8');
    const rows = [...readme.matchAll(/^\| (\d+) \| ([^|]+) \|/gm)].map((m) =>
      [...(m[2] ?? '').matchAll(/`([a-z-]+)\/?`/g)].map((n) => n[1]),
    );
    expect(rows).toEqual(LAYERS);
  });

  test('an up-layer value import is refused; a type import of config is allowed', () => {
    const src = tree({
      'tables/plan.ts': "import { runInline } from '../tasks/run-inline.js';\nimport type { Config } from '../config/index.js';\n",
      'tasks/run-inline.ts': 'export const runInline = 1;\n',
      'config/index.ts': 'export interface Config { a: 1 }\n',
    });
    expect(run(src)).toEqual([
      expect.stringMatching(/tables\/plan\.ts imports .*tasks\/run-inline\.ts: .tables. \(layer 3\) may not import .tasks. \(layer 5\)/),
    ]);
  });

  test('an import from outside src/ (a development tool, test code) is refused', () => {
    const src = tree({
      'warehouse/databricks.ts': "import { start } from '../../tools/databricks-local/server.js';\nexport const s = start;\n",
    });
    expect(run(src)).toEqual([
      expect.stringMatching(
        /warehouse\/databricks\.ts imports .*tools\/databricks-local\/server\.ts: src\/ may not import from outside src\//,
      ),
    ]);
  });

  test('a cycle is refused', () => {
    const src = tree({
      'api/a.ts': "import { b } from './b.js';\nexport const a = b;\n",
      'api/b.ts': "import type { a } from './a.js';\nexport const b = 1;\n",
    });
    expect(run(src)).toEqual([expect.stringMatching(/^import cycle: .*api\/a\.ts -> .*api\/b\.ts -> .*api\/a\.ts$/)]);
  });
});
