/** `npm start` builds only when a source is newer than the last build (scripts/build-if-stale.mjs, its prestart). */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ROOT } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'crm-stale-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const check = () => spawnSync(process.execPath, [join(ROOT, 'scripts/build-if-stale.mjs'), '--check', '--root', dir], { encoding: 'utf8' });
/** A file written with a fixed modification time (seconds since 1970). */
function file(path: string, mtime: number): void {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), '');
  utimesSync(join(dir, path), mtime, mtime);
}

describe('prestart: build only when stale', () => {
  test('never built, built after the last change, a source changed after the build', () => {
    file('src/cli.ts', 1_000);
    file('package.json', 1_000);
    expect([check().status, check().stdout.trim()]).toEqual([1, 'dist/ has not been built']);
    file('dist/cli.js', 2_000);
    expect([check().status, check().stdout.trim()]).toEqual([0, 'dist/ is up to date']);
    file('src/cli/status.ts', 3_000);
    expect([check().status, check().stdout.trim()]).toEqual([1, 'changed since the last build: src']);
  });
});
