/**
 * Latency of one task that does no work, from `queue.add` to the worker's
 * `completed` event, one job at a time, on the same Redis connection and job
 * options the service uses. Variants:
 *
 * - bullmq:      a bare BullMQ Worker with `async () => undefined`.
 * - pool:        the service's WorkerPool (payload parsing with zod, per-task
 *                timeout and AbortController, child logger, job context,
 *                error classification) around a processor that does nothing.
 * - pool_lock:   the same, the processor taking and releasing the table's
 *                Redis lock (as every refresh and retention task does).
 * - pool_refresh: the same, plus the refresh task's Redis bookkeeping without
 *                its SQL: refresh_active +1/-1, the table record, progress 100,
 *                the metrics observer.
 */
import { Queue, Worker, type Job } from 'bullmq';
import type { Payload } from '../src/queue/jobs.js';
import { defaultJobOptions } from '../src/queue/queues.js';
import type { TableName } from '../src/tables/registry.js';
import type { Processor } from '../src/workers/factory.js';
import { WorkerPool } from '../src/workers/factory.js';
import type { WorkerRuntime } from '../src/workers/runtime.js';
import { parseIsoDate } from '../src/dates.js';

export const VARIANTS = ['bullmq', 'pool', 'pool_lock', 'pool_refresh'] as const;
export type Variant = (typeof VARIANTS)[number];

export interface Sample {
  /** performance.now() from before queue.add to the worker's completed event (ms). */
  readonly wallMs: number;
  /** job.finishedOn - job.timestamp: BullMQ's own timestamps (ms resolution). */
  readonly bullmqMs: number;
}

const TABLE: TableName = 'crm_actions_open_snapshot';
const BARE_QUEUE = 'bench-noop';

const noop: Processor<'refresh'> = () => Promise.resolve(undefined);

const withLock: Processor<'refresh'> = async (p, ctx, rt) => {
  const lock = await rt.locks.acquire(p.table, ctx.job.id ?? 'job');
  if (!lock) throw new Error(`${p.table} is locked: nothing else should hold it during the benchmark`);
  await lock.release();
};

const refreshBookkeeping: Processor<'refresh'> = async (p, ctx, rt) => {
  const started = performance.now();
  const lock = await rt.locks.acquire(p.table, `refresh:${ctx.job.id ?? 'job'}`);
  if (!lock) throw new Error(`${p.table} is locked: nothing else should hold it during the benchmark`);
  try {
    await rt.state.recordTask(p.table, 'refresh', {
      date: p.date,
      runId: p.runId,
      outcome: 'success',
      seconds: 0,
      rowsWritten: 0,
      finishedAt: Date.now(),
    });
    await ctx.job.updateProgress(100);
  } finally {
    await lock.release();
  }
  rt.observer?.taskSettled?.('refresh', p.table, 'success', (performance.now() - started) / 1000);
};

const PROCESSORS: Record<Exclude<Variant, 'bullmq'>, Processor<'refresh'>> = {
  pool: noop,
  pool_lock: withLock,
  pool_refresh: refreshBookkeeping,
};

/** A worker of the variant and the queue to add to; close() stops the worker (the queue is the service's or closed with it). */
interface Rig {
  readonly queue: Queue;
  readonly worker: Worker;
  close(): Promise<void>;
}

function rig(rt: WorkerRuntime, variant: Variant): Rig {
  const { config, redis } = rt;
  if (variant === 'bullmq') {
    const queue = new Queue(BARE_QUEUE, { connection: redis, prefix: config.queuePrefix, defaultJobOptions: defaultJobOptions(config) });
    const worker = new Worker(BARE_QUEUE, () => Promise.resolve(undefined), {
      connection: redis,
      prefix: config.queuePrefix,
      concurrency: 1,
    });
    return { queue, worker, close: async () => (await worker.close(), await queue.close()) };
  }
  const pool = new WorkerPool(rt);
  const worker = pool.add('refresh', 1, PROCESSORS[variant]);
  return { queue: rt.queues.refresh, worker, close: () => pool.close(1000) };
}

let serial = 0;

async function once(r: Rig): Promise<Sample> {
  const id = `noop-${++serial}`;
  const data: Payload<'refresh'> = { runId: `bench-${serial}`, date: parseIsoDate('2026-11-25'), table: TABLE };
  const done = new Promise<Job>((resolve, reject) => {
    const onCompleted = (job: Job): void => {
      if (job.id !== id) return;
      r.worker.off('completed', onCompleted);
      r.worker.off('failed', onFailed);
      resolve(job);
    };
    const onFailed = (job: Job | undefined, err: Error): void => {
      if (job?.id !== id) return;
      r.worker.off('completed', onCompleted);
      r.worker.off('failed', onFailed);
      reject(err);
    };
    r.worker.on('completed', onCompleted);
    r.worker.on('failed', onFailed);
  });
  const t = performance.now();
  await r.queue.add('refresh', data, { jobId: id });
  const job = await done;
  return { wallMs: performance.now() - t, bullmqMs: (job.finishedOn ?? Number.NaN) - job.timestamp };
}

/**
 * `rounds` rounds; in each, every variant gets a fresh worker, `warmup`
 * untimed jobs, then `perRound` timed ones (so machine noise spreads over all
 * variants alike).
 */
export async function measureOverhead(
  rt: WorkerRuntime,
  rounds: number,
  perRound: number,
  warmup = 20,
): Promise<Record<Variant, Sample[]>> {
  const out = Object.fromEntries(VARIANTS.map((v) => [v, [] as Sample[]])) as Record<Variant, Sample[]>;
  for (let round = 0; round < rounds; round++) {
    for (const variant of VARIANTS) {
      const r = rig(rt, variant);
      try {
        await r.worker.waitUntilReady();
        for (let i = 0; i < warmup; i++) await once(r);
        for (let i = 0; i < perRound; i++) out[variant].push(await once(r));
      } finally {
        await r.close();
      }
    }
  }
  return out;
}
