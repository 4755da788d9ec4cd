/**
 * The Redis keyspace and the Lua scripts' files: every key starts with the
 * prefix and no two builders collide; every script in lua/ is registered,
 * and each names in its header every KEYS[n] and ARGV[n] its body uses.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { keyspace } from '../../src/queue/keyspace.js';
import { LUA_DIR, SCRIPT_FILES, scriptSources } from '../../src/queue/scripts.js';

describe('keyspace', () => {
  test('every key is under the prefix, and the builders never give two concepts one key', () => {
    const k = keyspace('crm');
    const keys = [
      k.table('crm_metrics_daily'),
      k.runs,
      k.runsIndex,
      k.runsActive,
      k.runsStarted,
      k.runsForced('2026-11-30'),
      k.runTasks('2026-11-30'),
      k.doneMarkers('2026-11-30'),
      k.retries,
      k.validation,
      k.sourceAudit,
      k.scheduler,
      k.warehouseOk,
      k.generations,
      k.generationsNewestDate,
      k.generationChannel,
      k.tableLock('crm_metrics_daily'),
      k.cursorSecret,
      k.answers,
      k.rateLimit('client-1'),
    ];
    for (const key of keys) expect(key.startsWith('crm:')).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
    expect(k.runTasks('D')).toBe(`${k.perRunPrefixes.tasks}D`);
    expect(k.doneMarkers('D')).toBe(`${k.perRunPrefixes.doneMarkers}D`);
    // The shapes operators and earlier deployments know.
    expect([k.table('t'), k.runs, k.tableLock('t'), k.answers, k.rateLimit('c')]).toEqual([
      'crm:state:table:t',
      'crm:state:runs',
      'crm:lock:table:t',
      'crm:api:v1',
      'crm:api:ratelimit:c',
    ]);
  });
});

/** The highest n of each `NAME[n]` the text mentions, and whether it reads `NAME[i ...]` (a variable index). */
function indexes(text: string, name: 'KEYS' | 'ARGV'): { max: number; variable: boolean } {
  const found = [...text.matchAll(new RegExp(`${name}\\[(\\d+)\\]`, 'g'))].map((m) => Number(m[1]));
  return { max: Math.max(0, ...found), variable: new RegExp(`${name}\\[[^\\]0-9]`).test(text) };
}

describe('Lua scripts', () => {
  test('every file in lua/ is registered, and every registered file exists', () => {
    const files = readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua'));
    expect([...Object.values(SCRIPT_FILES)].sort()).toEqual(files.sort());
    expect(scriptSources().size).toBe(files.length);
  });

  test.each(Object.entries(SCRIPT_FILES))('%s (%s) declares every KEYS and ARGV it uses, and what it returns', (name) => {
    const text = scriptSources().get(name as keyof typeof SCRIPT_FILES) ?? '';
    const lines = text.split('\n');
    const header = lines.filter((l) => l.startsWith('--')).join('\n');
    const body = lines.filter((l) => !l.startsWith('--')).join('\n');
    expect(lines[0]).toMatch(/^-- \S/);
    expect(header).toMatch(/^-- Returns /m);
    for (const name of ['KEYS', 'ARGV'] as const) {
      const used = indexes(body, name);
      for (let n = 1; n <= used.max; n++)
        expect(header, `${name}[${n}] is used but not described`).toMatch(new RegExp(`^-- ${name}\\[${n}(\\]|\\.\\.\\])`, 'm'));
      // A variable index (a loop over the rest) is described as NAME[n..].
      if (used.variable)
        expect(header, `${name} is read past its fixed indexes: describe them as ${name}[n..]`).toMatch(
          new RegExp(`^-- ${name}\\[\\d+\\.\\.\\]`, 'm'),
        );
    }
  });
});
