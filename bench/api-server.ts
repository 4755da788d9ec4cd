/**
 * The service under load for bench:api, in a process of its own (its own
 * event loop, as a web pod has): web + worker roles on a scratch copy of the
 * benchmark data, its first daily run done before it reports ready. Driven
 * by bench/api.ts over IPC:
 *
 *   ← { type: 'ready', port, healthPort, apiKey, subjects }   subjects: [organization_id, location_id][]
 *   → { type: 'refresh', date }                   plan the daily run for date through the queue
 *   ← { type: 'refreshed', seconds, loop }        its validation completed; loop: the event loop's
 *                                                 delay while it ran (ms: p50, p99, max)
 *   → { type: 'stop' }                            stop, remove the scratch copy and the Redis prefix
 *
 * Environment: BENCH_DATA (the DuckDB file with the source data), BENCH_DATE,
 * CACHE_TTL_SECONDS, API_MAX_IN_FLIGHT and API_RATE_LIMIT_PER_MINUTE when set, and BENCH_DUCKDB_THREADS
 * (DuckDB's threads instead of the service's choice).
 */
import { randomBytes } from 'node:crypto';
import { cpSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { planDailyRun } from '../src/producer/scheduler.js';
import { jobIds } from '../src/queue/jobs.js';
import { provideRuntimeFiles, sleep } from './harness.js';
import { benchConfig, scratch, startBenchService, type BenchService } from './service.js';
import { parseIsoDate, type IsoDate } from '../src/dates.js';

type Command = { type: 'refresh'; date: IsoDate } | { type: 'stop' };

function send(message: object): void {
  process.send?.(message);
}

export interface LoopDelay {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** The run for date, planned through the queue, with the event loop's delay (10 ms resolution) while it ran. */
async function runMonitored(svc: BenchService, date: IsoDate): Promise<{ seconds: number; loop: LoopDelay }> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  try {
    const seconds = await runAndWait(svc, date);
    h.disable();
    const ms = (ns: number): number => ns / 1e6;
    return { seconds, loop: { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) } };
  } finally {
    h.disable();
  }
}

async function runAndWait(svc: BenchService, date: IsoDate): Promise<number> {
  const started = performance.now();
  const { runtime } = svc.service;
  const planned = await planDailyRun(runtime, date);
  for (;;) {
    const job = await runtime.queues.validation.getJob(jobIds.validation(planned.runId));
    const state = job ? await job.getState() : 'missing';
    if (state === 'completed') return (performance.now() - started) / 1000;
    if (state === 'failed') throw new Error(`the run for ${date} failed: ${job?.failedReason ?? ''}`);
    await sleep(50);
  }
}

async function main(): Promise<void> {
  provideRuntimeFiles();
  const data = process.env.BENCH_DATA;
  if (!data || !process.env.BENCH_DATE) throw new Error('BENCH_DATA and BENCH_DATE are required');
  const date = parseIsoDate(process.env.BENCH_DATE, 'BENCH_DATE');
  const s = scratch('api');
  cpSync(data, s.duckdbPath);
  const apiKey = randomBytes(24).toString('hex');
  // The variables the benchmarks set for the service (bench:api turns the per-client rate limit off: one client at full speed).
  const passed = Object.fromEntries(
    ['API_MAX_IN_FLIGHT', 'API_RATE_LIMIT_PER_MINUTE'].flatMap((k) => {
      const v = process.env[k];
      return v === undefined ? [] : [[k, v]];
    }),
  );
  const config = benchConfig(s, {
    API_KEYS: apiKey,
    CACHE_TTL_SECONDS: process.env.CACHE_TTL_SECONDS ?? '14400',
    HEALTH_PORT: '0',
    ...passed,
  });
  const threads = process.env.BENCH_DUCKDB_THREADS ? Number(process.env.BENCH_DUCKDB_THREADS) : undefined;
  const svc = await startBenchService(config, ['web', 'worker'], threads);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await svc.stop();
    await s.cleanup();
    process.disconnect?.();
  };
  try {
    await runAndWait(svc, date);
    const rows = await svc.service.runtime.warehouse.query({
      sql: `SELECT DISTINCT organization_id, location_id FROM ${config.catalog}.${config.schema}.crm_actions_open_snapshot ORDER BY 1, 2`,
    });
    const subjects = rows.map((r) => [String(r.organization_id), String(r.location_id)]);
    process.on('message', (m: Command) => {
      if (m.type === 'refresh') {
        runMonitored(svc, m.date).then(
          ({ seconds, loop }) => send({ type: 'refreshed', seconds, loop }),
          (e: unknown) => send({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
        );
      } else if (m.type === 'stop') {
        stop().catch((e: unknown) => process.stderr.write(`bench:api server: stop failed: ${String(e)}\n`));
      }
    });
    const { port, healthPort } = svc.service;
    if (healthPort === undefined) throw new Error('the liveness listener did not start');
    send({ type: 'ready', port, healthPort, apiKey, subjects });
  } catch (e) {
    await stop();
    throw e;
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:api server failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
  process.disconnect?.();
});
