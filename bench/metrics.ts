/**
 * Scrape cost of /metrics on a service with a realistic job history:
 *
 *   npm run bench:metrics -- [--scrapes 300] [--completed 1000] [--failed 100]
 *
 * Starts the service in this process (web + worker roles, a temporary DuckDB
 * file with small demo data, a unique Redis prefix), writes a history of
 * completed and failed jobs (past daily runs, finished by bare BullMQ workers
 * without warehouse work) plus one real daily run, then GETs /metrics
 * sequentially on a warm keep-alive connection. Prints `name=value` lines on
 * stdout; progress goes to stderr. Removes the prefix and the file at the end.
 */
import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { seedDemo } from '../src/demo/seed.js';
import { planDailyRun } from '../src/producer/scheduler.js';
import { TASK_QUEUES } from '../src/queue/jobs.js';
import { DuckDbWarehouse } from '../src/warehouse/duckdb.js';
import { writeHistory } from './history.js';
import { emit, flag, median, numberFlag, percentile, progress, provideRuntimeFiles, sleep } from './harness.js';
import { benchConfig, REDIS_URL, scratch, startBenchService, type BenchService } from './service.js';
import { parseIsoDate } from '../src/dates.js';

const D = parseIsoDate('2026-11-25');
const TARGET_P99_MS = 50;
const WARMUP = 20;
/** The daily run planned after the history adds these completed jobs (3 refresh, 3 retention, 1 validation). */
const RUN_JOBS = 7;

async function main(args: readonly string[]): Promise<void> {
  provideRuntimeFiles();
  const scrapes = numberFlag(args, 'scrapes', 300, 10);
  const completed = numberFlag(args, 'completed', 1000, RUN_JOBS);
  const failed = numberFlag(args, 'failed', 100, 0);
  const s = scratch('metrics');
  const config = benchConfig(s);
  let svc: BenchService | undefined;
  try {
    progress(`seeding small demo data (30 days to ${D}) in ${s.duckdbPath}`);
    const seeder = new DuckDbWarehouse({ path: s.duckdbPath, catalog: config.catalog, idleCloseMs: 0 });
    await seedDemo({ warehouse: seeder, catalog: config.catalog, sourceSchema: config.sourceSchema, scale: 'small', days: 30, endDate: D });
    await seeder.close();

    progress(`history: ${completed - RUN_JOBS} completed and ${failed} failed jobs of past runs`);
    await writeHistory(config, D, completed - RUN_JOBS, failed);

    svc = await startBenchService(config, ['web', 'worker']);
    const { runtime } = svc.service;
    progress(`service on ${svc.baseUrl} (web + worker); one real daily run for ${D}`);
    await planDailyRun(runtime, D);
    await waitForRun(svc, D);

    const counts = await Promise.all(TASK_QUEUES.map((q) => runtime.queues[q].getJobCounts('completed', 'failed')));
    const jobsCompleted = counts.reduce((n, c) => n + (c.completed ?? 0), 0);
    const jobsFailed = counts.reduce((n, c) => n + (c.failed ?? 0), 0);
    const clients = ((await runtime.redis.client('LIST')) as string).split('\n').filter((l) => l.trim() !== '').length;

    const url = `${svc.baseUrl}/metrics`;
    const body = await scrape(url);
    checkBody(body, jobsCompleted, jobsFailed);
    progress(`${WARMUP} + ${scrapes} sequential scrapes of ${url} from a separate process`);
    const times = await scrapeFromChild(url, scrapes);

    emit('roles', 'web+worker');
    emit('scraper', 'separate_process_keepalive');
    emit('load_avg_1m', loadavg()[0] ?? 0);
    emit('redis', REDIS_URL.replace(/\/\/[^@]*@/, '//'));
    emit('redis_clients_connected', clients);
    emit('jobs_completed', jobsCompleted);
    emit('jobs_failed', jobsFailed);
    emit('scrapes', scrapes);
    emit('scrape_bytes', Buffer.byteLength(body));
    emit('scrape_series', body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length);
    emit('scrape_ms_p50', median(times));
    emit('scrape_ms_p90', percentile(times, 90));
    emit('scrape_ms_p99', percentile(times, 99));
    emit('scrape_ms_max', Math.max(...times));
    emit('target_p99_ms', TARGET_P99_MS);
    emit('target_met', percentile(times, 99) <= TARGET_P99_MS ? 'true' : 'false');
  } finally {
    await svc?.stop();
    await s.cleanup();
  }
}

/**
 * The timed GETs run in a child process (like Prometheus, the scraper does
 * not share the service's event loop), sequentially on one keep-alive
 * connection, after WARMUP untimed ones. Returns milliseconds per scrape.
 */
async function scrapeFromChild(url: string, n: number): Promise<number[]> {
  const child = fork(fileURLToPath(import.meta.url), ['--scrape-client', url, '--scrapes', String(n)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let times: number[] | undefined;
  child.once('message', (m) => {
    times = m as number[];
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      times && code === 0 ? resolve(times) : reject(new Error(`the scrape client exited (${code}) without results`)),
    );
  });
}

async function scrapeClient(url: string, n: number): Promise<void> {
  for (let i = 0; i < WARMUP; i++) await scrape(url);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await scrape(url);
    times.push(performance.now() - t);
  }
  await new Promise<void>((resolve, reject) => process.send?.(times, (err: Error | null) => (err ? reject(err) : resolve())));
  process.disconnect?.();
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 200)}`);
  return text;
}

async function waitForRun(svc: BenchService, date: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const job = await svc.service.runtime.queues.validation.getJob(`validation__${date}`);
    const state = job ? await job.getState() : 'missing';
    if (state === 'completed') return;
    if (state === 'failed') throw new Error(`the daily run for ${date} failed: ${job?.failedReason}`);
    if (Date.now() > deadline) throw new Error(`the daily run for ${date} did not finish in 60 s (validation ${state})`);
    await sleep(50);
  }
}

/** The scrape reports the history it was given (so the benchmark measures what it claims). */
function checkBody(body: string, completed: number, failed: number): void {
  const sum = (state: string): number =>
    [...body.matchAll(new RegExp(`^crm_queue_jobs\\{[^}]*state="${state}"[^}]*\\} (\\d+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
  if (sum('completed') !== completed || sum('failed') !== failed) {
    throw new Error(
      `/metrics reports ${sum('completed')} completed and ${sum('failed')} failed jobs, Redis holds ${completed} and ${failed}`,
    );
  }
  if (!/^crm_table_validation_status\{[^}]*status="ok"[^}]*\} 1$/m.test(body))
    throw new Error('/metrics has no validation status: the run did not record one');
}

const argv = process.argv.slice(2);
const client = flag(argv, 'scrape-client', '');
(client ? scrapeClient(client, numberFlag(argv, 'scrapes', 300)) : main(argv)).catch((e: unknown) => {
  process.stderr.write(`bench:metrics failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
