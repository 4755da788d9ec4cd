/**
 * The one failure path of a task that will not be tried again, whether its
 * processor threw or BullMQ failed it without running it (a job that stalled
 * more often than allowed, e.g. its workers crashed): an error log line, the
 * failure recorded in state, `crm_task_runs_total{outcome="failure"}`, and
 * for a validation the run's outcome.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import { toError } from '../errors.js';
import { parsePayload, type QueueName } from '../queue/jobs.js';
import type { WorkerRuntime } from './runtime.js';
import type { IsoDate } from '../dates.js';

/** True when this failure is the last: BullMQ will not try again (attempts are the worker's JOB_ATTEMPTS). */
export function isFinalFailure(job: Pick<Job, 'attemptsMade'>, err: unknown, attempts: number): boolean {
  return err instanceof UnrecoverableError || job.attemptsMade + 1 >= attempts;
}

/** What is known of a failed job's task: its table and run, when its payload is valid. */
function describe(queue: QueueName, data: unknown): { table: string; runId?: string; date?: IsoDate } | undefined {
  if (queue === 'schedule') return undefined;
  const parsed = parsePayload(queue, data);
  if (!parsed.ok) return undefined;
  const p = parsed.value;
  return { table: 'table' in p ? p.table : 'all', runId: p.runId, date: p.date };
}

/** Record a task's final failure everywhere an operator or an alert looks. */
export async function recordFinalFailure(rt: WorkerRuntime, queue: QueueName, job: Job, thrown: unknown, seconds: number): Promise<void> {
  const error = toError(thrown).message;
  const task = describe(queue, job.data);
  rt.log.error({ queue, jobId: job.id, attempts: job.attemptsMade, ...task, error }, 'task failed for good');
  if (task === undefined) return;
  rt.observer?.taskSettled?.(queue, task.table, 'failure', seconds);
  if ((queue === 'refresh' || queue === 'retention') && task.date !== undefined && task.runId !== undefined) {
    const table = task.table as Parameters<WorkerRuntime['state']['recordTask']>[0];
    const retried = await rt.state.retries.take(queue, job.id);
    // In the processor the failing attempt is not counted yet; a failure BullMQ decided (stalled) has counted it.
    const attempts = Math.max(1, job.attemptsMade + (job.deferredFailure === undefined ? 1 : 0));
    const how = { attempts, ...(retried?.by ? { retriedBy: retried.by } : {}) };
    await rt.state.recordTask(table, queue, {
      date: task.date,
      runId: task.runId,
      outcome: 'failure',
      seconds,
      rowsWritten: null,
      finishedAt: rt.clock.now().getTime(),
      error,
      ...how,
    });
  }
  if (queue === 'validation' && task.runId !== undefined) {
    const retried = await rt.state.retries.take(queue, job.id);
    const run = await rt.state.finishRun(
      task.runId,
      'failure',
      [`${job.id ?? 'validation'} failed: ${error}`],
      rt.clock.now().getTime(),
      retried,
    );
    if (run?.tracked !== false && run) rt.observer?.runFinished?.(((run.finishedAt ?? Date.now()) - run.plannedAt) / 1000);
  }
}

/** Seconds a job spent since its last start, for a failure BullMQ decided. */
export function secondsSinceStart(job: Pick<Job, 'processedOn'>, now = Date.now()): number {
  return job.processedOn ? Math.max(0, (now - job.processedOn) / 1000) : 0;
}
