/**
 * No silent failure: worker processes killed (kill -9) in the middle of a
 * refresh. A crash loop uses the configured attempts; a task that BullMQ
 * fails for stalling goes through the same failure path as a processor
 * error: error log, failure record, outcome="failure" metric, run outcome.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startCli, runCli, type CliProcess } from '../support/cli.js';
import { createFixture, type Fixture } from '../support/duckdb-fixture.js';
import { makeActionsSlow } from '../support/faults.js';
import { metricValue } from '../support/metrics.js';
import { cleanupPrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { waitFor } from '../support/wait.js';

const D = '2026-11-29';
const S = 'hs_franquia.gold_connect_bot';
const TABLE = 'crm_actions_open_snapshot';
const RUN = `${D}_2`; // the run id of `run --tables crm_actions_open_snapshot`
const JOB = `refresh__${TABLE}__${RUN}`;

let f: Fixture;
let prefix: string;
let redis: Redis;
let refresh: Queue;
const workers: CliProcess[] = [];

beforeEach(async () => {
  f = await createFixture();
  await f.setSources(DEMO_SOURCES);
  await makeActionsSlow(f.warehouse, S); // a refresh of the snapshot runs for hours: a worker dies in the middle of it
  await f.warehouse.close();
  prefix = uniquePrefix();
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  refresh = new Queue('refresh', { connection: redis, prefix });
});
afterEach(async () => {
  for (const w of workers.splice(0)) await w.kill();
  await refresh.close();
  redis.disconnect();
  await cleanupPrefix(prefix);
  await f.cleanup();
});

const env = (attempts: number): Record<string, string> => ({
  DUCKDB_PATH: f.path,
  REDIS_URL,
  QUEUE_PREFIX: prefix,
  JOB_ATTEMPTS: String(attempts),
  JOB_BACKOFF_MS: '100',
  JOB_LOCK_MS: '1000',
  WAREHOUSE_CHECK_INTERVAL_MS: '0',
  PORT: '0',
  HOST: '127.0.0.1',
});

async function startWorker(attempts: number): Promise<CliProcess & { port: number }> {
  const w = startCli(['start', '--roles', 'worker'], env(attempts));
  workers.push(w);
  const port = await waitFor(
    'the worker process to listen',
    () => Promise.resolve(/http:\/\/127\.0\.0\.1:(\d+)/.exec(w.stdout())?.[1]),
    30_000,
  );
  return Object.assign(w, { port: Number(port) });
}

/** The refresh job, once a live worker is running it (its claim renewed, the processor started). */
async function runningRefresh(stalls: number): Promise<Job> {
  return waitFor(
    `${JOB} to be running after ${stalls} stall(s)`,
    async () => {
      const job = await Job.fromId(refresh, JOB);
      const running =
        job &&
        (await job.getState()) === 'active' &&
        job.stalledCounter === stalls &&
        (await redis.exists(`${prefix}:lock:table:${TABLE}`)) === 1;
      return running ? job : undefined;
    },
    60_000,
  );
}

describe('workers killed mid-task', () => {
  test('a crash loop uses JOB_ATTEMPTS: two kills with 3 attempts put the task back in the queue, not in the failed set', async () => {
    await startWorker(3);
    expect((await runCli(['run', '--date', D, '--tables', TABLE], env(3))).code).toBe(0);
    await runningRefresh(0);
    await workers[0]!.kill();
    await startWorker(3);
    await runningRefresh(1);
    await workers[1]!.kill();
    await startWorker(3);
    const job = await runningRefresh(2);
    expect(job.failedReason ?? '').toBe('');
  });

  test('a task failed for stalling is logged, recorded, counted and fails its run', async () => {
    await startWorker(1);
    expect((await runCli(['run', '--date', D, '--tables', TABLE], env(1))).code).toBe(0);
    await runningRefresh(0);
    await workers[0]!.kill();
    // The source is fast again: only the stall can fail the task now.
    await f.warehouse.execute({ sql: `DROP VIEW ${S}.vw_crm_action` });
    await f.setSources(DEMO_SOURCES);
    await f.warehouse.close();
    const survivor = await startWorker(1);

    await waitFor(`${JOB} to fail`, async () => (await refresh.getJobState(JOB)) === 'failed', 60_000);
    const failed = (await Job.fromId(refresh, JOB))!;
    expect(failed.failedReason).toBe('job stalled more than allowable limit');
    const run = await waitFor('the run to finish', async () => {
      const raw = await redis.hget(`${prefix}:state:runs`, RUN);
      const rec = raw ? (JSON.parse(raw) as { outcome?: string; failed?: string[] }) : undefined;
      return rec?.outcome ? rec : undefined;
    });
    expect(run.outcome).toBe('failure');
    expect(run.failed?.join('\n')).toContain(`${JOB} failed (job stalled more than allowable limit)`);
    const record = JSON.parse((await redis.hget(`${prefix}:state:table:${TABLE}`, 'last_refresh')) ?? '{}') as Record<string, unknown>;
    expect(record).toMatchObject({ outcome: 'failure', runId: RUN, date: D, error: 'job stalled more than allowable limit' });
    const metrics = await (await fetch(`http://127.0.0.1:${survivor.port}/metrics`)).text();
    expect(metricValue(metrics, 'crm_task_runs_total', { task: 'refresh', table: TABLE, outcome: 'failure' })).toBe(1);
    const errors = survivor
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"level":50') && l.includes('task failed for good'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(JOB);
  });
});
