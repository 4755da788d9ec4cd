/**
 * Queue machinery benchmark:
 *
 *   npm run bench:queue -- [--jobs 300] [--rounds 3] [--end-date 2026-11-25] [--backfill-days 365] [--refresh-concurrency 2]
 *
 * 1. The overhead of the service's task machinery against bare BullMQ, one
 *    no-op job at a time (bench/queue-overhead.ts says what each figure holds).
 * 2. A backfill through the service's workers (the worker role, defaults:
 *    REFRESH_CONCURRENCY=2, chunks of BACKFILL_CHUNK_DAYS=31) on small demo
 *    data (400 days), timed from the first enqueue until every chunk's
 *    validation completed.
 *
 * In this process: a temporary DuckDB file and a unique Redis prefix, both
 * removed at the end. `name=value` lines on stdout; progress on stderr.
 */
import { loadavg } from 'node:os';
import { addDays, parseIsoDate } from '../src/dates.js';
import { seedDemo } from '../src/demo/seed.js';
import { enqueueBackfill, planBackfill } from '../src/producer/backfill.js';
import { TABLE_NAMES } from '../src/tables/registry.js';
import { DuckDbWarehouse } from '../src/warehouse/duckdb.js';
import { emit, flag, median, numberFlag, progress, provideRuntimeFiles, sleep } from './harness.js';
import { measureOverhead, VARIANTS, type Variant } from './queue-overhead.js';
import { benchConfig, deletePrefix, scratch, startBenchService, type BenchService, type Scratch } from './service.js';

const TARGET_RATIO = 5;
const INCLUDES: Record<Variant, string> = {
  bullmq: 'bare_Worker+noop_processor',
  pool: 'WorkerPool(zod_payload_parse+timeout_timer+AbortController+child_logger+job_context+error_classification)+noop_processor',
  pool_lock: 'WorkerPool+table_lock(SET_NX_PX+renew_timer+release_EVAL)',
  pool_refresh: 'WorkerPool+table_lock+refresh_bookkeeping_without_sql(generation_bump+table_record_HSET+updateProgress+metrics_observer)',
};

async function main(args: readonly string[]): Promise<void> {
  provideRuntimeFiles();
  const perVariant = numberFlag(args, 'jobs', 300, 10);
  const rounds = numberFlag(args, 'rounds', 3);
  const endDate = parseIsoDate(flag(args, 'end-date', '2026-11-25'), '--end-date');
  const backfillDays = numberFlag(args, 'backfill-days', 365);
  const refreshConcurrency = numberFlag(args, 'refresh-concurrency', 2);
  const s = scratch('queue');
  try {
    await overhead(s, rounds, Math.ceil(perVariant / rounds));
    await backfill(s, endDate, backfillDays, refreshConcurrency);
    emit('load_avg_1m', loadavg()[0] ?? 0);
  } finally {
    await s.cleanup();
  }
}

async function overhead(s: Scratch, rounds: number, perRound: number): Promise<void> {
  // No roles: the runtime (Redis connection, queues, locks, state, metrics observer) without the real workers.
  const svc = await startBenchService(benchConfig(s), []);
  try {
    progress(`no-op tasks: ${rounds} rounds x ${perRound} jobs per variant (${VARIANTS.join(', ')}), one at a time`);
    const samples = await measureOverhead(svc.service.runtime, rounds, perRound);
    const wall = (v: Variant): number => median(samples[v].map((x) => x.wallMs));
    // BullMQ's timestamps have 1 ms resolution: a mean says more than a median of 0s and 1s.
    const stamped = (v: Variant): number => samples[v].reduce((n, x) => n + x.bullmqMs, 0) / samples[v].length;
    emit('measured', 'median_ms_from_queue.add_to_worker_completed_event,one_job_at_a_time,same_redis_connection_and_job_options');
    emit('jobs_per_variant', samples.bullmq.length);
    for (const v of VARIANTS) emit(`${v}_includes`, INCLUDES[v]);
    emit('bullmq_noop_ms', wall('bullmq'));
    emit('pool_noop_ms', wall('pool'));
    emit('task_overhead_includes', 'pool_lock');
    emit('task_overhead_ms', wall('pool_lock'));
    emit('task_with_refresh_bookkeeping_ms', wall('pool_refresh'));
    emit('bullmq_noop_finishedOn_minus_timestamp_mean_ms', stamped('bullmq'));
    emit('task_overhead_finishedOn_minus_timestamp_mean_ms', stamped('pool_lock'));
    emit('pool_vs_bullmq_ratio', wall('pool') / wall('bullmq'));
    emit('overhead_ratio', wall('pool_lock') / wall('bullmq'));
    emit('refresh_bookkeeping_vs_bullmq_ratio', wall('pool_refresh') / wall('bullmq'));
    emit('target_overhead_ratio', TARGET_RATIO);
  } finally {
    await svc.stop();
    await deletePrefix(s.prefix);
  }
}

async function backfill(s: Scratch, endDate: string, days: number, refreshConcurrency: number): Promise<void> {
  const config = benchConfig(s, { REFRESH_CONCURRENCY: String(refreshConcurrency) });
  progress(`seeding small demo data: 400 days to ${endDate}`);
  const seeder = new DuckDbWarehouse({ path: s.duckdbPath, catalog: config.catalog, idleCloseMs: 0 });
  const seeded = await seedDemo({
    warehouse: seeder,
    catalog: config.catalog,
    sourceSchema: config.sourceSchema,
    scale: 'small',
    days: 400,
    endDate,
  });
  await seeder.close();
  const svc = await startBenchService(config, ['worker']);
  try {
    const rt = svc.service.runtime;
    const from = addDays(seeded.endDate, -(days - 1));
    const plans = planBackfill(config, { from, to: seeded.endDate, tables: TABLE_NAMES, force: false });
    progress(`backfill ${from}..${seeded.endDate}: ${plans.length} chunks`);
    const started = performance.now();
    const planned = await enqueueBackfill(rt.flows, rt.state, config, plans, () => undefined);
    const enqueueSeconds = (performance.now() - started) / 1000;
    await waitForValidations(
      svc,
      planned.map((p) => p.validationJobId),
    );
    const total = (performance.now() - started) / 1000;
    const jobs = await rt.queues.refresh.getJobCounts('completed');
    const warehouse = await statementSeconds(svc);
    emit('backfill_includes', 'enqueue_all_chunks+every_refresh+every_chunk_validation(worker_role_in_this_process,duckdb)');
    emit(
      'backfill_seed',
      `small,days=${seeded.days},rows_verifications=${seeded.rows.vw_crm_verification},rows_questions=${seeded.rows.vw_crm_verification_question},rows_actions=${seeded.rows.vw_crm_action}`,
    );
    emit('backfill_days', days);
    emit('backfill_chunks', plans.length);
    emit('backfill_refresh_jobs', jobs.completed ?? 0);
    emit('backfill_refresh_concurrency', config.jobs.concurrency.refresh);
    emit('backfill_enqueue_seconds', enqueueSeconds);
    emit(`backfill_${days}_days_seconds`, total);
    emit('backfill_warehouse_statement_seconds', warehouse.total);
    emit('backfill_warehouse_refresh_seconds', warehouse.refresh);
    emit('backfill_warehouse_validation_seconds', warehouse.validation);
    emit('backfill_table_busy_step_asides', await stepAsides(svc));
  } finally {
    await svc.stop();
  }
}

async function waitForValidations(svc: BenchService, ids: readonly string[]): Promise<void> {
  const pending = new Set(ids);
  const deadline = Date.now() + 15 * 60_000;
  let reported = 0;
  while (pending.size > 0) {
    for (const id of [...pending]) {
      const job = await svc.service.runtime.queues.validation.getJob(id);
      const state = job ? await job.getState() : 'missing';
      if (state === 'completed') pending.delete(id);
      else if (state === 'failed') throw new Error(`backfill chunk ${id} failed: ${job?.failedReason}`);
    }
    const done = ids.length - pending.size;
    if (done !== reported) progress(`  ${(reported = done)}/${ids.length} chunks validated`);
    if (Date.now() > deadline) throw new Error(`backfill: ${pending.size} chunks not validated after 15 min`);
    if (pending.size > 0) await sleep(100);
  }
}

/** Warehouse time per task, from the worker process's own crm_warehouse_statement_duration_seconds. */
async function statementSeconds(svc: BenchService): Promise<{ total: number; refresh: number; validation: number }> {
  const text = await (await fetch(`${svc.baseUrl}/metrics`)).text();
  const sum = (task?: string): number =>
    [...text.matchAll(/^crm_warehouse_statement_duration_seconds_sum\{([^}]*)\} (\S+)$/gm)]
      .filter((m) => task === undefined || (m[1] ?? '').includes(`task="${task}"`))
      .reduce((n, m) => n + Number(m[2]), 0);
  return { total: sum(), refresh: sum('refresh'), validation: sum('validation') };
}

/** How often a refresh found its table locked by another task and stepped aside (LOCK_RETRY_MS 300-600 ms each). */
async function stepAsides(svc: BenchService): Promise<number> {
  const q = svc.service.runtime.queues.refresh;
  let n = 0;
  for (const job of await q.getJobs(['completed'], 0, -1)) {
    if (!job.id) continue;
    const { logs } = await q.getJobLogs(job.id, 0, -1);
    n += logs.filter((l) => l.includes('is busy with another task')).length;
  }
  return n;
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`bench:queue failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
