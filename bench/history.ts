/**
 * A job history like the one the board keeps (completed jobs 14 days, failed
 * ones 90): past daily runs' refresh, retention and validation jobs with
 * valid payloads and deterministic ids, finished by a bare BullMQ worker per
 * queue (no warehouse work), some of them failed for good.
 */
import { UnrecoverableError, Queue, Worker, type Job } from 'bullmq';
import type { Config } from '../src/config/index.js';
import { addDays, type IsoDate } from '../src/dates.js';
import { jobIds, type Payload, type TaskQueue, TASK_QUEUES } from '../src/queue/jobs.js';
import { defaultJobOptions } from '../src/queue/queues.js';
import { connectRedis } from '../src/queue/redis.js';
import { TABLE_NAMES } from '../src/tables/registry.js';

interface Spec {
  readonly queue: TaskQueue;
  readonly id: string;
  readonly data: Payload<TaskQueue>;
  readonly fail: boolean;
}

/** `completed + failed` jobs from daily runs before `before`, the failures spread evenly. */
function specs(before: IsoDate, completed: number, failed: number): Spec[] {
  const total = completed + failed;
  const out: Spec[] = [];
  for (let day = 1; out.length < total; day++) {
    const date = addDays(before, -day);
    const runId = `hist-${date}`;
    for (const table of TABLE_NAMES)
      out.push({ queue: 'refresh', id: jobIds.refresh(table, runId), data: { runId, date, table }, fail: false });
    for (const table of TABLE_NAMES)
      out.push({ queue: 'retention', id: jobIds.retention(table, runId), data: { runId, date, table }, fail: false });
    const tasks = TABLE_NAMES.flatMap((t) => [
      { queue: 'refresh' as const, id: jobIds.refresh(t, runId) },
      { queue: 'retention' as const, id: jobIds.retention(t, runId) },
    ]);
    out.push({ queue: 'validation', id: jobIds.validation(runId), data: { runId, date, tables: [...TABLE_NAMES], tasks }, fail: false });
  }
  const jobs = out.slice(0, total);
  const step = total / failed;
  return jobs.map((s, i) => ({ ...s, fail: failed > 0 && Math.floor(i / step) !== Math.floor((i + 1) / step) }));
}

/** Add the history and let bare workers finish it. Run before any service worker consumes these queues. */
export async function writeHistory(config: Config, before: IsoDate, completed: number, failed: number): Promise<void> {
  const all = specs(before, completed, failed);
  const connection = await connectRedis(config.redisUrl, `${config.queuePrefix}:bench-history`);
  const opts = { ...defaultJobOptions(config), attempts: 1 };
  const failIds = new Set(all.filter((s) => s.fail).map((s) => s.id));
  const queues = TASK_QUEUES.map((name) => new Queue(name, { connection, prefix: config.queuePrefix }));
  const workers: Worker[] = [];
  try {
    for (const q of queues) {
      const mine = all.filter((s) => s.queue === q.name);
      for (let i = 0; i < mine.length; i += 200) {
        await q.addBulk(mine.slice(i, i + 200).map((s) => ({ name: s.queue, data: s.data, opts: { ...opts, jobId: s.id } })));
      }
    }
    const finish = (job: Job): Promise<unknown> => {
      if (failIds.has(job.id ?? '')) return Promise.reject(new UnrecoverableError(`Table or view not found: vw_crm_action (${job.id})`));
      return Promise.resolve(job.name === 'validation' ? { worstStatus: 'ok', checksPassed: true } : { rowsWritten: 1234, seconds: 0.8 });
    };
    for (const name of TASK_QUEUES) workers.push(new Worker(name, finish, { connection, prefix: config.queuePrefix, concurrency: 50 }));
    const deadline = Date.now() + 120_000;
    for (;;) {
      const counts = await Promise.all(queues.map((q) => q.getJobCounts('completed', 'failed')));
      const done = counts.reduce((n, c) => n + (c.completed ?? 0) + (c.failed ?? 0), 0);
      if (done >= all.length) break;
      if (Date.now() > deadline) throw new Error(`history: ${done} of ${all.length} jobs finished after 120 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await Promise.all(queues.map((q) => q.close()));
    await connection.quit();
  }
}
