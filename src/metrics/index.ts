/**
 * The process's metrics. Every process exports what it observes itself
 * (task and statement timings: sum across pods); the web role also exports
 * the deployment's shared state read from Redis at scrape time (take max()
 * across web pods). docs/metrics.md lists which role exports what.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { Queues } from '../queue/queues.js';
import type { StateStore } from '../state/store.js';
import type { Warehouse } from '../warehouse/types.js';
import type { TaskObserver } from '../workers/runtime.js';
import { registerApiMetrics, type ApiMetrics } from './api-metrics.js';
import { registerSharedMetrics } from './shared.js';
import { registerTaskMetrics } from './task-metrics.js';
import { instrumentWarehouse } from './warehouse.js';

export interface Metrics {
  readonly registry: Registry;
  readonly observer: TaskObserver;
  /** The same engine, with every statement timed; `scans`: also count the rows each task's statements read (worker role). */
  instrument(warehouse: Warehouse, opts?: { scans?: boolean }): Warehouse;
  /** Refresh the values read at scrape time, then render the text format. */
  scrape(): Promise<string>;
  /** The read API's metrics (web role only). */
  readonly api?: ApiMetrics;
}

export function createMetrics(config: Config, deps: { queues: Queues; state: StateStore; clock: Clock; shared: boolean }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'crm_' });
  const task = registerTaskMetrics(registry, { slowRunSeconds: config.slowRunSeconds, timeoutSeconds: config.jobs.timeoutMs / 1000 });
  const refreshShared = deps.shared ? registerSharedMetrics(registry, { ...deps, config }) : () => Promise.resolve();
  return {
    registry,
    observer: task.observer,
    instrument: (w, opts) => {
      // Rows read per task where the engine reports them (DuckDB's profiler); the read API's statements are not profiled.
      if (opts?.scans) w.observeScans?.(task.rowsScanned, task.countsScansOf);
      return instrumentWarehouse(w, task.statementDuration);
    },
    api: deps.shared ? registerApiMetrics(registry) : undefined,
    scrape: async () => {
      await refreshShared();
      return registry.metrics();
    },
  };
}
