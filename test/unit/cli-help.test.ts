/** Every command's help ends with an example that is a valid command line; --version prints package.json's version. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { describe, expect, test } from 'vitest';
import { buildProgram, main } from '../../src/cli.js';

const paths = (c: Command, prefix: string[] = []): string[][] =>
  c.commands.filter((s) => s.name() !== 'help').flatMap((s) => [[...prefix, s.name()], ...paths(s, [...prefix, s.name()])]);
const program = buildProgram({ out: () => undefined, err: () => undefined }, () => undefined);

async function run(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(['node', 'crm-materializer', ...args], { out: (t) => (out += `${t}\n`), err: (t) => (out += `${t}\n`) });
  return { code, out };
}

describe('help and version', () => {
  test.each([[[]], ...paths(program).map((p) => [p])])('%j --help shows an example of itself', async (path) => {
    const { code, out } = await run([...path, '--help']);
    expect(code).toBe(0);
    const examples = [...out.matchAll(/^ {2}\$ crm-materializer (.+)$/gm)].map((m) => m[1] ?? '');
    expect(examples.length).toBeGreaterThan(0);
    for (const e of examples) expect(e.startsWith(path.join(' ')), e).toBe(true);
  });

  test('--version prints the version of package.json', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await run(['--version'])).toEqual({ code: 0, out: `${pkg.version}\n` });
  });
});
