/**
 * The file sharing against real DuckDB: three tables replaced day after day
 * by concurrent writers beside a reader, with pauses long enough for the file to close and
 * open again between statements (idle grace 0), then read back from a fresh
 * open. Before the close was exclusive, a commit that ran beside the closing
 * checkpoint was lost (or the file damaged) in about one run out of five.
 * The ordering itself, deterministically: test/unit/duckdb-file.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import type { SqlValue } from '../../src/warehouse/types.js';
import { addDays, parseIsoDate } from '../../src/dates.js';

const TABLES = ['a', 'b', 'c'] as const;
const DAYS = 150;
let dir: string | undefined;

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const day = (i: number): SqlValue => ({ kind: 'date', value: addDays(parseIsoDate('2026-01-01'), i) });
/** A pseudo-random pause (seeded: the same sequence every run), up to `maxMs`: the file closes in some, not in others. */
function pauses(seed: number, maxMs: number): () => Promise<void> {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return new Promise((r) => setTimeout(r, x % (maxMs + 1)));
  };
}

test('every committed replace survives the file closing and opening between statements', async () => {
  dir = mkdtempSync(join(tmpdir(), 'crm-duckdb-file-'));
  const w = new DuckDbWarehouse({ path: join(dir, 'x.duckdb'), catalog: 'cat', idleCloseMs: 0 });
  for (const t of TABLES) await w.execute({ sql: `CREATE TABLE IF NOT EXISTS cat.main.${t} (d DATE, k VARCHAR, n INT)` });
  const held = async (t: string): Promise<number> =>
    Number((await w.query({ sql: `SELECT count(DISTINCT d) AS n FROM cat.main.${t}` }))[0]?.n);
  const seen: Record<string, number[]> = {};
  let writing = true;
  const reader = async (): Promise<void> => {
    const pause = pauses(99, 5);
    while (writing) {
      await held('a');
      await pause();
    }
  };
  const reading = reader();
  await Promise.all(
    TABLES.map(async (t, k) => {
      const pause = pauses(k + 1, 20);
      seen[t] = [];
      for (let i = 0; i < DAYS; i++) {
        const params = { d: day(i) };
        await w.executeAtomic([
          { sql: `DELETE FROM cat.main.${t} WHERE d = $d`, params },
          { sql: `INSERT INTO cat.main.${t} SELECT $d, 'k' || x, x FROM range(3) r(x)`, params },
        ]);
        await pause();
        seen[t]?.push(await held(t));
      }
    }),
  ).finally(() => (writing = false));
  await reading;
  await w.close();
  // Each writer saw its days grow one by one, and a fresh open holds them all.
  for (const t of TABLES) {
    expect(seen[t]).toEqual(Array.from({ length: DAYS }, (_, i) => i + 1));
    expect(await held(t)).toBe(DAYS);
  }
  await w.close();
}, 60_000);
