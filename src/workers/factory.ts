/**
 * The one place Workers are built. Every processor gets a parsed payload, a
 * per-task timeout that cancels the running statement, a child logger, and
 * job-log progress; errors are classified once: a payload or a statement that
 * can never succeed is unrecoverable (no retry), anything else is retried by
 * BullMQ's attempts and backoff. On shutdown, tasks still running after the
 * grace period are cancelled and put back in the queue, not lost.
 */
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { PublishHeldError, SourceMissingError, UsageError, WarehouseError, toError } from '../errors.js';
import { parsePayload, type Payload, type QueueName } from '../queue/jobs.js';
import type { TaskContext } from '../tasks/context.js';
import type { WorkerRuntime } from './runtime.js';

export class TaskTimeoutError extends Error {
  override name = 'TaskTimeoutError';
}
class ShutdownAbort extends Error {
  override name = 'ShutdownAbort';
}

export interface JobContext extends TaskContext {
  readonly job: Job;
  readonly token: string | undefined;
  readonly signal: AbortSignal;
}

export type Processor<Q extends QueueName> = (payload: Payload<Q>, ctx: JobContext, rt: WorkerRuntime) => Promise<unknown>;

/** Workers plus the tasks they are running, so shutdown can cancel them. */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly active = new Set<AbortController>();

  constructor(private readonly rt: WorkerRuntime) {}

  /** `onCompleted` runs once the job is recorded as completed (its state is final, unlike inside the processor). */
  add<Q extends QueueName>(queue: Q, concurrency: number, processor: Processor<Q>, onCompleted?: (job: Job, rt: WorkerRuntime) => Promise<void>): Worker {
    const { config } = this.rt;
    const worker = new Worker(queue, (job, token) => this.process(queue, job, token, processor), {
      connection: this.rt.redis,
      prefix: config.queuePrefix,
      concurrency,
      autorun: true,
    });
    worker.on('error', (err) => this.rt.log.error({ queue, err }, 'worker error'));
    if (onCompleted) {
      worker.on('completed', (job) => {
        onCompleted(job, this.rt).catch((err: unknown) => this.rt.log.error({ queue, jobId: job.id, err }, 'after-completion step failed'));
      });
    }
    this.workers.push(worker);
    return worker;
  }

  get size(): number {
    return this.workers.length;
  }

  /** Stop taking jobs; let active ones finish for `graceMs`, then cancel and requeue them. */
  async close(graceMs: number): Promise<void> {
    const closing = Promise.all(this.workers.map((w) => w.close()));
    const timer = setTimeout(() => {
      for (const c of this.active) c.abort(new ShutdownAbort('shutting down'));
    }, graceMs);
    try {
      await closing;
    } finally {
      clearTimeout(timer);
    }
  }

  private async process<Q extends QueueName>(queue: Q, job: Job, token: string | undefined, processor: Processor<Q>): Promise<unknown> {
    const parsed = parsePayload(queue, job.data);
    const log = this.rt.log.child({ queue, jobId: job.id, attempt: job.attemptsMade + 1 });
    if (!parsed.ok) {
      log.error({ error: parsed.error }, 'bad payload: failing without retry');
      throw new UnrecoverableError(parsed.error);
    }
    const payload = parsed.value;
    const controller = new AbortController();
    const timeoutMs = this.rt.config.jobs.timeoutMs;
    const timer = setTimeout(() => controller.abort(new TaskTimeoutError(`task timed out after ${timeoutMs / 1000}s: its statement was cancelled`)), timeoutMs);
    this.active.add(controller);
    const tagged = 'table' in payload ? { table: payload.table, date: payload.date } : 'date' in payload ? { date: payload.date } : {};
    const ctx: JobContext = {
      job,
      token,
      warehouse: this.rt.warehouse,
      sql: this.rt.sql,
      log,
      signal: controller.signal,
      tag: { task: queue, ...tagged, runId: 'runId' in payload ? payload.runId : undefined },
      progress: async (message) => {
        await job.log(`${new Date().toISOString()} ${message}`);
      },
    };
    try {
      return await processor(payload, ctx, this.rt);
    } catch (e) {
      const reason: unknown = controller.signal.reason;
      if (controller.signal.aborted && reason instanceof ShutdownAbort) {
        log.warn('cancelled by shutdown: back to the queue');
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (controller.signal.aborted && reason instanceof TaskTimeoutError) throw reason;
      throw classify(e);
    } finally {
      clearTimeout(timer);
      this.active.delete(controller);
    }
  }
}

/** Errors that retrying cannot fix become UnrecoverableError; the rest are retried. */
export function classify(e: unknown): Error {
  if (e instanceof UnrecoverableError || e instanceof WaitingError) return e;
  if (e instanceof UsageError || e instanceof SourceMissingError || e instanceof PublishHeldError) return new UnrecoverableError(e.message);
  if (e instanceof WarehouseError && !e.transient) return new UnrecoverableError(e.message);
  return toError(e);
}

/** True when this failure is the last: BullMQ will not try again. */
export function isFinalFailure(job: Job, err: unknown): boolean {
  return classify(err) instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}
