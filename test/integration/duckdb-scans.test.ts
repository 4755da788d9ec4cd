/**
 * Which statements DuckDB profiles for the task metrics: the ones whose tag
 * the observer counts (the service's tasks), not the read API's queries
 * (profiling writes and reads a file per statement). Real DuckDB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import type { QueryTag } from '../../src/warehouse/types.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('statements of counted tasks report their scans; the others are not profiled', async () => {
  dir = mkdtempSync(join(tmpdir(), 'crm-duckdb-scans-'));
  const w = new DuckDbWarehouse({ path: join(dir, 'x.duckdb'), catalog: 'cat' });
  try {
    await w.execute({ sql: 'CREATE TABLE cat.main.t AS SELECT range AS n FROM range(1000)' });
    const seen: { tag?: QueryTag; rows: number }[] = [];
    w.observeScans(
      (scan) => seen.push({ tag: scan.tag, rows: Object.values(scan.rowsScanned).reduce((a, b) => a + b, 0) }),
      (tag) => tag?.task !== 'api',
    );
    await w.query({ sql: 'SELECT count(*) AS c FROM cat.main.t' }, { tag: { task: 'api', table: 'metrics' } });
    expect(seen).toEqual([]);
    await w.query({ sql: 'SELECT count(*) AS c FROM cat.main.t WHERE n >= 0' }, { tag: { task: 'refresh', table: 't' } });
    expect(seen).toEqual([{ tag: { task: 'refresh', table: 't' }, rows: 1000 }]);
  } finally {
    await w.close();
  }
});
