/** A short-lived connection to the queues for CLI commands (run, backfill, status). */
import type { FlowProducer } from 'bullmq';
import type { Redis } from 'ioredis';
import { loadConfig, type Config } from '../config/index.js';
import { createLogger, type Logger } from '../log.js';
import { closeRedis, connectRedis } from '../queue/redis.js';
import { closeQueues, createFlowProducer, createQueues, type Queues } from '../queue/queues.js';
import { StateStore } from '../state/store.js';

export interface QueueClient {
  readonly config: Config;
  readonly log: Logger;
  readonly redis: Redis;
  readonly queues: Queues;
  readonly flows: FlowProducer;
  readonly state: StateStore;
}

export async function withQueues<T>(fn: (c: QueueClient) => Promise<T>, config: Config = loadConfig()): Promise<T> {
  const log = createLogger(config.logLevel, process.stderr, config.logFormat);
  const redis = await connectRedis(config.redisUrl, `${config.queuePrefix}:cli`);
  const queues = createQueues(config, redis);
  const flows = createFlowProducer(config, redis);
  try {
    return await fn({ config, log, redis, queues, flows, state: new StateStore(redis, config.queuePrefix, config.runsKeepDays) });
  } finally {
    await flows.close();
    await closeQueues(queues);
    await closeRedis(redis);
  }
}
