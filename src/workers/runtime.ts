/** What the workers share in one process. */
import type { FlowProducer } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import type { Queues } from '../queue/queues.js';
import type { StateStore } from '../state/store.js';
import type { SqlBuilder } from '../tables/statements.js';
import type { Warehouse } from '../warehouse/types.js';
import type { TableLocks } from '../state/table-lock.js';
import type { DoneMarkers } from '../state/done-markers.js';
import type { RedisHealth } from '../queue/redis-health.js';

/** Observers of task outcomes (metrics). `retry`: an attempt failed and will be tried again. */
export interface TaskObserver {
  taskSettled?(queue: string, table: string, outcome: 'success' | 'failure' | 'retry', seconds: number): void;
  /** A table task succeeded: the rows it wrote (refresh: inserted; retention: deleted). */
  rowsWritten?(task: string, table: string, rows: number): void;
  /** A run's validation finished: planning-to-end duration. */
  runFinished?(seconds: number): void;
}

export interface WorkerRuntime {
  readonly config: Config;
  readonly log: Logger;
  readonly redis: Redis;
  readonly warehouse: Warehouse;
  readonly sql: SqlBuilder;
  readonly state: StateStore;
  readonly locks: TableLocks;
  /** Per run, which table tasks wrote and were recorded (a second execution is a no-op). */
  readonly done: DoneMarkers;
  /** Redis outages: logged once per change of state; BullMQ's connection errors go here. */
  readonly health?: RedisHealth;
  readonly queues: Queues;
  readonly flows: FlowProducer;
  readonly observer?: TaskObserver;
  readonly clock: Clock;
}
