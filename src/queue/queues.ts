/** The queues and their default job options (failure policy, history), built in one place. */
import { FlowProducer, Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { QUEUE_NAMES, type QueueName } from './jobs.js';

const DAY_S = 86_400;

/**
 * The backoff type whose delay the worker computes from its own JOB_BACKOFF_MS
 * (the Worker's backoffStrategy), not from the options of whoever queued the job.
 */
export const WORKER_BACKOFF = 'worker-config';

/** The original job's policy: attempts, a fixed backoff (the worker's), history kept for the board. */
export function defaultJobOptions(config: Config): JobsOptions {
  return {
    attempts: config.jobs.attempts,
    backoff: { type: WORKER_BACKOFF },
    removeOnComplete: { age: config.jobs.keepCompletedDays * DAY_S, count: config.jobs.keepCompletedJobs },
    removeOnFail: { age: config.jobs.keepFailedDays * DAY_S, count: config.jobs.keepFailedJobs },
  };
}

export type Queues = Readonly<Record<QueueName, Queue>>;

export function createQueues(config: Config, connection: Redis): Queues {
  const opts = { connection, prefix: config.queuePrefix, defaultJobOptions: defaultJobOptions(config) };
  return Object.fromEntries(QUEUE_NAMES.map((name) => [name, new Queue(name, opts)])) as unknown as Queues;
}

export function createFlowProducer(config: Config, connection: Redis): FlowProducer {
  return new FlowProducer({ connection, prefix: config.queuePrefix });
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}
