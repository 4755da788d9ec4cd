/** The README's promises match the code: the configuration table, the two commands. */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { configTable } from '../../src/config/docs.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
const ci = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');

describe('README', () => {
  test('the configuration table is the one generated from the config module (npm run docs:config)', () => {
    expect(readme).toContain(configTable());
  });
  test('names the two commands, and CI runs the README test command', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toMatch(/^npm test$/m);
    expect(pkg.scripts.start).toBeDefined();
    expect(ci).toMatch(/^npm test$/m);
  });
});
