/**
 * The rows one daily run reads, per statement and per source, without the
 * timings of bench:refresh (minutes at large on a shared machine):
 *
 *   npm run bench:rows -- --scale medium|large [--seed 42] [--end-date 2026-11-25]
 *
 * Reuses (or builds) the same cached data as bench:refresh, runs the daily
 * run for D once through DuckDB's profiler and prints `name=value` lines:
 * the same `daily_run_source_rows`, `daily_run_floor_rows` and
 * `daily_run_rows_vs_floor_ratio` as bench:refresh, and the rows each
 * statement read from each source (`rows_<view>_<n>`).
 */
import { parseIsoDate } from '../src/dates.js';
import { isDemoScale } from '../src/demo/seed.js';
import { SOURCE_VIEWS } from '../src/tables/registry.js';
import { DuckDbWarehouse } from '../src/warehouse/duckdb.js';
import { ensureData } from './data.js';
import { floorRows, RowCounter, sourceRows } from './rows.js';
import { dailyRun } from './runs.js';
import { emit, flag, progress, provideRuntimeFiles, taskContext } from './support.js';

const NAMES = { catalog: 'hs_franquia', sourceSchema: 'gold_connect_bot', targetSchema: 'bench_materialized' } as const;

async function main(args: readonly string[]): Promise<void> {
  provideRuntimeFiles();
  const scale = flag(args, 'scale', 'medium');
  if (!isDemoScale(scale)) throw new Error(`--scale ${scale}: use small, medium or large`);
  const refDate = parseIsoDate(flag(args, 'end-date', '2026-11-25'), '--end-date');
  const data = await ensureData({
    scale,
    seed: Number(flag(args, 'seed', '42')),
    endDate: refDate,
    catalog: NAMES.catalog,
    sourceSchema: NAMES.sourceSchema,
  });
  const src = `${NAMES.catalog}.${NAMES.sourceSchema}`;
  const counter = new RowCounter();
  const warehouse = new DuckDbWarehouse({ path: data.path, catalog: NAMES.catalog, idleCloseMs: 60_000, onProfile: counter.listener });
  const ctx = taskContext(warehouse, NAMES);
  try {
    for (const s of ctx.sql.init()) await warehouse.execute(s);
    progress(`daily run for ${refDate}, profiled`);
    const profiles = await counter.measure(() => dailyRun(ctx, refDate, 7, 90));
    const floor = await floorRows(ctx, src, refDate, 7);
    const read = sourceRows(profiles, src);
    emit('scale', scale);
    for (const view of SOURCE_VIEWS) {
      const scans = profiles.map((p) => p.rowsScanned[`${src}.${view}`] ?? 0).filter((n) => n > 0);
      emit(`rows_${view}`, scans.join('+') || '0');
    }
    emit('daily_run_source_rows', read);
    emit('daily_run_floor_rows', floor);
    emit('daily_run_rows_vs_floor_ratio', read / floor);
  } finally {
    await warehouse.close();
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`bench:rows failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
