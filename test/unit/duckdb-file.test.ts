/**
 * The sharing of one engine instance per file, with a fake engine: the close
 * is exclusive (its checkpoint never runs beside a statement), a statement
 * that arrives meanwhile opens the file again after it. The same pattern
 * against real DuckDB: test/integration/duckdb-file.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { waitFor } from '../support/wait.js';
import { FileRegistry, type FileEngine } from '../../src/warehouse/duckdb-file.js';

/** A fake engine whose checkpoint ends when the test says so; it records what happened, in order. */
function fakeEngine(): { engine: FileEngine<number>; events: string[]; endCheckpoint: () => void; leased: { n: number } } {
  const events: string[] = [];
  let opened = 0;
  let end: () => void = () => undefined;
  const leased = { n: 0 };
  const engine: FileEngine<number> = {
    open: () => {
      opened += 1;
      events.push(`open ${opened}`);
      return Promise.resolve(opened);
    },
    checkpoint: (i) => {
      events.push(`checkpoint ${i} (statements running: ${leased.n})`);
      return new Promise<void>((r) => (end = r));
    },
    closeSync: (i) => events.push(`close ${i}`),
  };
  return { engine, events, endCheckpoint: () => end(), leased };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('one instance per file, closed exclusively', () => {
  test('a statement arriving during the closing checkpoint waits for the close, then opens the file again', async () => {
    const files = new FileRegistry<number>();
    const fake = fakeEngine();
    const first = await files.lease('f', () => fake.engine, 60_000);
    first.release();
    const closing = files.close('f');
    await tick();
    let second: { instance: number; release: () => void } | undefined;
    const arriving = files
      .lease('f', () => fake.engine, 60_000)
      .then((l) => {
        fake.leased.n += 1;
        fake.events.push(`statement on ${l.instance}`);
        second = l;
      });
    await tick();
    expect(second).toBeUndefined(); // still closing: the statement has not started
    fake.endCheckpoint();
    await Promise.all([closing, arriving]);
    expect(fake.events).toEqual(['open 1', 'checkpoint 1 (statements running: 0)', 'close 1', 'open 2', 'statement on 2']);
    second?.release();
    const last = files.close('f');
    await tick();
    fake.endCheckpoint();
    await last;
  });

  test('statements at once share the instance; a close while one runs waits for the last release and its grace', async () => {
    const files = new FileRegistry<number>();
    const fake = fakeEngine();
    const [a, b] = await Promise.all([files.lease('f', () => fake.engine, 0), files.lease('f', () => fake.engine, 0)]);
    expect([a?.instance, b?.instance]).toEqual([1, 1]);
    await files.close('f'); // statements running: nothing closes
    a?.release();
    await tick();
    expect(fake.events).toEqual(['open 1']);
    b?.release(); // the last one: closed after the grace (0 ms here)
    await waitFor('the close after the grace', () => Promise.resolve(fake.events.length === 2));
    fake.endCheckpoint();
    await waitFor('the instance closed', () => Promise.resolve(fake.events.length === 3));
    expect(fake.events).toEqual(['open 1', 'checkpoint 1 (statements running: 0)', 'close 1']);
  });

  test('a failed open leaves nothing behind: the next statement opens again', async () => {
    const files = new FileRegistry<number>();
    let calls = 0;
    const engine: FileEngine<number> = {
      open: () => {
        calls += 1;
        return calls === 1 ? Promise.reject(new Error('held by another process')) : Promise.resolve(calls);
      },
      checkpoint: () => Promise.resolve(),
      closeSync: () => undefined,
    };
    await expect(files.lease('f', () => engine, 0)).rejects.toThrow('held by another process');
    const l = await files.lease('f', () => engine, 0);
    expect(l.instance).toBe(2);
    l.release();
    await files.close('f');
  });
});
