/**
 * The one place Workers are built. Every processor gets a parsed payload, a
 * per-task timeout that cancels the running statement, a child logger, and
 * job-log progress; errors are classified once: a payload or a statement that
 * can never succeed is unrecoverable (no retry), anything else is retried by
 * BullMQ's attempts and backoff. On shutdown, tasks still running after the
 * grace period are cancelled and put back in the queue, not lost.
 */
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { recordFinalFailure, secondsSinceStart } from './failures.js';
import { WORKER_BACKOFF } from '../queue/queues.js';
import { PublishHeldError, SourceMissingError, UsageError, WarehouseError, toError } from '../errors.js';
import { futurePayloadProblem, parsePayload, type Payload, type QueueName } from '../queue/jobs.js';
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
  add<Q extends QueueName>(
    queue: Q,
    concurrency: number,
    processor: Processor<Q>,
    onCompleted?: (job: Job, rt: WorkerRuntime) => Promise<void>,
  ): Worker {
    const { config } = this.rt;
    const worker = new Worker(queue, (job, token) => this.process(queue, job, token, processor), {
      connection: this.rt.redis,
      prefix: config.queuePrefix,
      concurrency,
      autorun: true,
      // A worker that dies leaves its job's lock to expire; the next check finds the job stalled and puts it back.
      lockDuration: config.jobs.lockMs,
      stalledInterval: config.jobs.lockMs,
      // A crash loop uses the attempts as configured, no more and no fewer.
      maxStalledCount: config.jobs.attempts - 1,
      // Jobs queued by the service wait JOB_BACKOFF_MS between attempts, whatever the queuing process was configured with.
      settings: { backoffStrategy: () => config.jobs.backoffMs },
    });
    // During a Redis outage BullMQ reports every reconnection attempt: the health watcher logs the outage once.
    worker.on(
      'error',
      this.rt.health ? this.rt.health.onError({ queue }, 'worker error') : (err) => this.rt.log.error({ queue, err }, 'worker error'),
    );
    // Failed without running the processor (stalled too often, e.g. its workers crashed): the same failure path as a processor error.
    worker.on('failed', (job, err) => {
      if (job?.deferredFailure === undefined) return;
      recordFinalFailure(this.rt, queue, job, err, secondsSinceStart(job)).catch((e: unknown) =>
        this.rt.log.error({ queue, jobId: job.id, err: e }, 'could not record a failure'),
      );
    });
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

  /**
   * The run's start is the first time a worker takes one of its tasks; bookkeeping only, so a
   * failure to record it does not fail the task.
   */
  private async markRunStarted(runId: string, log: JobContext['log']): Promise<void> {
    try {
      await this.rt.state.runStarted(runId, this.rt.clock.now().getTime());
    } catch (err) {
      log.warn({ err, runId }, "could not record the run's start time");
    }
  }

  private async process<Q extends QueueName>(queue: Q, job: Job, token: string | undefined, processor: Processor<Q>): Promise<unknown> {
    // Attempts and backoff are this worker's (JOB_ATTEMPTS, JOB_BACKOFF_MS), whatever the job was queued with:
    // BullMQ reads them from this object when the attempt fails.
    job.opts = { ...job.opts, attempts: this.rt.config.jobs.attempts, backoff: { type: WORKER_BACKOFF } };
    const parsed = parsePayload(queue, job.data);
    const log = this.rt.log.child({ queue, jobId: job.id, attempt: job.attemptsMade + 1 });
    const error = parsed.ok ? futurePayloadProblem(queue, parsed.value, this.rt.config.scheduleTz, this.rt.clock.now()) : parsed.error;
    if (!parsed.ok || error !== undefined) {
      log.error({ error }, 'bad payload: failing without retry');
      throw new UnrecoverableError(error);
    }
    const payload = parsed.value;
    if ('runId' in payload) await this.markRunStarted(payload.runId, log);
    const controller = new AbortController();
    const timeoutMs = this.rt.config.jobs.timeoutMs;
    const timer = setTimeout(
      () => controller.abort(new TaskTimeoutError(`task timed out after ${timeoutMs / 1000}s: its statement was cancelled`)),
      timeoutMs,
    );
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
