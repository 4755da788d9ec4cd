/**
 * Refresh benchmark on the embedded DuckDB engine:
 *
 *   npm run bench:refresh -- --scale medium|large [--seed 42] [--end-date 2026-11-25] [--reps 3] [--row-group-size 2048]
 *
 * `--row-group-size` is the row groups the materialized tables are written in
 * (default: the service's, TABLE_ROW_GROUP_SIZE); 122880 (DuckDB's default,
 * with its optimistic writes) measures the tables as the service wrote them
 * before, for an A/B on the same data.
 *
 * Builds (or reuses) the demo data in .bench-cache/data/, then measures the
 * daily run against a non-incremental rebuild, the dashboard's questions from
 * the views against the tables, and the daily refresh against a bare scan of
 * the rows it must read. Prints `name=value` lines on stdout; progress goes to
 * stderr. Exits 1 when an answer differs between views and tables.
 */
import { loadavg } from 'node:os';
import { parseIsoDate } from '../src/dates.js';
import { isDemoScale } from '../src/demo/seed.js';
import { TABLE_NAMES } from '../src/tables/registry.js';
import { duckdbDialect } from '../src/warehouse/dialect.js';
import { DUCKDB_DEFAULT_ROW_GROUP_SIZE, DuckDbWarehouse, TABLE_ROW_GROUP_SIZE } from '../src/warehouse/duckdb.js';
import { dashboardParams, pickSubjects, questions, runDashboard } from './dashboard.js';
import { ensureData } from './data.js';
import { scanFloor } from './floor.js';
import { floorRows, rowsIn, RowCounter, sourceRows } from './rows.js';
import { dailyRun, fullRebuild, primeSnapshots, type DailyTimes, type FullTimes } from './runs.js';
import { emit, flag, median, medianCost, progress, provideRuntimeFiles, seconds, taskContext } from './support.js';

/** A fixed Wednesday, so the cached data set stays valid from one day to the next. */
const DEFAULT_END_DATE = '2026-11-25';
const WINDOW_DAYS = 7;
const RETENTION_DAYS = 90;
const NAMES = { catalog: 'hs_franquia', sourceSchema: 'gold_connect_bot', targetSchema: 'bench_materialized' } as const;
/** Dashboard loads per day (1,000 users x 10), and the read API's cache hit rate that `npm run bench:api` measures. */
const LOADS_PER_DAY = 10_000;
const API_HIT_RATE = 0.97;

async function main(args: readonly string[]): Promise<void> {
  provideRuntimeFiles();
  const scale = flag(args, 'scale', 'medium');
  if (!isDemoScale(scale)) throw new Error(`--scale ${scale}: use small, medium or large`);
  const seed = Number(flag(args, 'seed', '42'));
  const refDate = parseIsoDate(flag(args, 'end-date', DEFAULT_END_DATE), '--end-date');
  const reps = Math.max(1, Number(flag(args, 'reps', '3')));
  const loadAtStart = loadavg()[0] ?? 0;
  const rowGroupSize = Number(flag(args, 'row-group-size', String(TABLE_ROW_GROUP_SIZE)));
  const engine = { rowGroupSize, optimisticWrites: rowGroupSize === DUCKDB_DEFAULT_ROW_GROUP_SIZE };

  const data = await ensureData({ scale, seed, endDate: refDate, catalog: NAMES.catalog, sourceSchema: NAMES.sourceSchema });
  const src = `${NAMES.catalog}.${NAMES.sourceSchema}`;
  const target = `${NAMES.catalog}.${NAMES.targetSchema}`;
  const counter = new RowCounter();
  const warehouse = new DuckDbWarehouse({ path: data.path, catalog: NAMES.catalog, idleCloseMs: 60_000, ...engine });
  // The same file, profiled: used only where rows are counted, so the timings carry no profiling cost.
  const profiled = new DuckDbWarehouse({
    path: data.path,
    catalog: NAMES.catalog,
    idleCloseMs: 60_000,
    onProfile: counter.listener,
    ...engine,
  });
  const ctx = taskContext(warehouse, NAMES);
  try {
    await warehouse.execute({ sql: `DROP SCHEMA IF EXISTS ${target} CASCADE` });
    for (const s of ctx.sql.init()) await warehouse.execute(s);
    progress('warming up: reading the sources once');
    await scanFloor(ctx, src, refDate, data.summary.days);
    progress(`priming the snapshot tables' history: the ${RETENTION_DAYS} days before ${refDate}`);
    await primeSnapshots(ctx, refDate, RETENTION_DAYS);

    // Each measured run starts from a checkpointed file, as in service (the engine checkpoints when it
    // releases the file after a run); the checkpoint that follows a daily run is measured on its own.
    const checkpoint = () => warehouse.execute({ sql: `CHECKPOINT ${NAMES.catalog}` });
    progress(`full rebuild: crm_metrics_daily ${data.summary.startDate}..${refDate} in one window + both snapshots (${reps}x)`);
    const full: FullTimes[] = [];
    for (let i = 0; i < reps; i++) {
      await checkpoint();
      full.push(await fullRebuild(ctx, data.summary.startDate, refDate));
    }

    progress(`daily run for ${refDate} (1 warm-up, which also applies the first retention, then ${reps}x)`);
    await dailyRun(ctx, refDate, WINDOW_DAYS, RETENTION_DAYS);
    const daily: DailyTimes[] = [];
    const afterRun: number[] = [];
    for (let i = 0; i < reps; i++) {
      await checkpoint();
      daily.push(await dailyRun(ctx, refDate, WINDOW_DAYS, RETENTION_DAYS));
      afterRun.push(await seconds(checkpoint));
    }
    const runProfiles = await counter.measure(() => dailyRun({ ...ctx, warehouse: profiled }, refDate, WINDOW_DAYS, RETENTION_DAYS));
    const floorRowCount = await floorRows(ctx, src, refDate, WINDOW_DAYS);

    progress('scan floor');
    const floorCounts = await scanFloor(ctx, src, refDate, WINDOW_DAYS);
    const floor = await medianCost(Math.max(reps, 7), () => scanFloor(ctx, src, refDate, WINDOW_DAYS));

    // As between a run and the readers in service (the engine checkpoints when its file is released).
    await checkpoint();
    progress('dashboard questions: views vs tables');
    const overhead = await medianCost(21, () => warehouse.query({ sql: 'SELECT 1 AS one' }));
    const subjects = await pickSubjects(ctx, target, refDate);
    const dash = await runDashboard(
      ctx,
      questions(src, target),
      { refDate, ...subjects },
      { views: Math.max(reps, 7), tables: 21 },
      `${target}.bench_resposta`,
    );
    const params = dashboardParams({ refDate, ...subjects });
    const load = async (side: 'views' | 'tables') =>
      counter.measure(async () => {
        for (const q of questions(src, target)) await profiled.query(duckdbDialect.bind(q[side], params));
      });
    const dashRows = { views: sourceRows(await load('views'), src), tables: rowsIn(await load('tables'), target) };

    const m = <T>(xs: readonly T[], f: (x: T) => number): number => median(xs.map(f));
    const refresh = { wall: m(daily, (d) => d.refreshTotal.wall), cpu: m(daily, (d) => d.refreshTotal.cpu) };
    const rebuild = { wall: m(full, (f) => f.total.wall), cpu: m(full, (f) => f.total.cpu) };
    const views = { wall: dash.reduce((s, q) => s + q.views.wall, 0), cpu: dash.reduce((s, q) => s + q.views.cpu, 0) };
    const tables = { wall: dash.reduce((s, q) => s + q.tables.wall, 0), cpu: dash.reduce((s, q) => s + q.tables.cpu, 0) };

    emit('scale', scale);
    emit('seed', seed);
    emit('end_date', refDate);
    emit('history_days', data.summary.days);
    for (const [view, n] of Object.entries(data.summary.rows)) emit(`rows_${view}`, n);
    emit('data_seed_seconds', data.seededSeconds ?? 'cached');
    emit('table_row_group_size', rowGroupSize);
    emit('duckdb_threads', String((await warehouse.query({ sql: `SELECT current_setting('threads') AS t` }))[0]?.t));
    emit('load_average_1m', `${loadAtStart.toFixed(2)}->${loadavg()[0]?.toFixed(2) ?? '?'}`);
    emit(
      'daily_run_includes',
      'source_check+refresh(3_tables)+retention(3_tables)+validation(checks+summaries+missing_days+source_anomalies)',
    );
    emit(
      'daily_run_seconds',
      m(daily, (d) => d.total),
    );
    emit('daily_refresh_seconds', refresh.wall);
    for (const t of TABLE_NAMES)
      emit(
        `daily_refresh_${t}_seconds`,
        m(daily, (d) => d.refresh[t]),
      );
    emit(
      'daily_retention_seconds',
      m(daily, (d) => d.retention),
    );
    emit(
      'daily_validation_seconds',
      m(daily, (d) => d.validation),
    );
    // Not part of the run's time: in service it runs on the engine's threads when the file is released.
    emit('daily_checkpoint_seconds', median(afterRun));
    emit('full_rebuild_seconds', rebuild.wall);
    emit(
      'full_rebuild_metrics_seconds',
      m(full, (f) => f.metrics),
    );
    emit(
      'full_rebuild_snapshots_seconds',
      m(full, (f) => f.snapshots),
    );
    emit('incremental_vs_full_ratio', rebuild.wall / refresh.wall);
    emit('dashboard_org', subjects.org);
    emit('dashboard_location', subjects.location);
    for (const q of dash) {
      emit(`dashboard_${q.name}_rows`, q.rows);
      emit(`dashboard_${q.name}_views_ms`, 1000 * q.views.wall);
      emit(`dashboard_${q.name}_tables_ms`, 1000 * q.tables.wall);
      emit(`dashboard_${q.name}_answer_only_ms`, 1000 * q.answerOnly.wall);
    }
    emit('dashboard_answers_equal', 'true');
    emit('dashboard_from_views_ms', 1000 * views.wall);
    emit('dashboard_from_tables_ms', 1000 * tables.wall);
    emit('views_vs_materialized_ratio', views.wall / tables.wall);
    // The most the time ratio can be: the tables' side reduced to reading the answers themselves.
    const answerOnly = dash.reduce((sum, q) => sum + q.answerOnly.wall, 0);
    emit('dashboard_answer_only_ms', 1000 * answerOnly);
    emit('views_vs_answer_only_ratio', views.wall / answerOnly);
    emit('query_overhead_ms', 1000 * overhead.wall);
    // Rows read, from DuckDB's profiler (rows read per table scan, summed per source): exact, whatever the load.
    const runSource = sourceRows(runProfiles, src);
    const runAll = runSource + rowsIn(runProfiles, target);
    emit('daily_run_source_rows', runSource);
    emit('daily_run_table_rows', runAll - runSource);
    emit('daily_run_floor_rows', floorRowCount);
    emit('daily_run_rows_vs_floor_ratio', runSource / floorRowCount);
    emit('dashboard_rows_views', dashRows.views);
    emit('dashboard_rows_tables', dashRows.tables);
    emit('dashboard_rows_ratio', dashRows.views / dashRows.tables);
    emit('day_loads', LOADS_PER_DAY);
    emit('day_cache_hit_rate', `${API_HIT_RATE} (measured by bench:api)`);
    const fromViews = LOADS_PER_DAY * dashRows.views;
    const withTables = runAll + Math.round((1 - API_HIT_RATE) * LOADS_PER_DAY) * dashRows.tables;
    emit('day_rows_from_views', fromViews);
    emit('day_rows_with_tables', withTables);
    emit('day_rows_reduction', 1 - withTables / fromViews);
    emit('scan_floor_rows', `verifications:${floorCounts.verifications},questions:${floorCounts.questions},actions:${floorCounts.actions}`);
    emit('scan_floor_seconds', floor.wall);
    emit('refresh_vs_scan_floor_ratio', refresh.wall / floor.wall);
    // The same ratios in CPU time (all threads): steadier when other work shares the machine.
    emit('cpu_daily_refresh_seconds', refresh.cpu);
    emit('cpu_full_rebuild_seconds', rebuild.cpu);
    emit('cpu_incremental_vs_full_ratio', rebuild.cpu / refresh.cpu);
    emit('cpu_views_vs_materialized_ratio', views.cpu / tables.cpu);
    emit('cpu_scan_floor_seconds', floor.cpu);
    emit('cpu_refresh_vs_scan_floor_ratio', refresh.cpu / floor.cpu);
  } finally {
    await profiled.close();
    await warehouse.close();
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`bench:refresh failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
