/** The worker role: the table tasks' queues, the source audit's, and the warehouse check /readyz reads. */
import { TASK_QUEUES } from '../queue/jobs.js';
import {
  refreshProcessor,
  retentionProcessor,
  retryValidationIfUnblocked,
  sourceAuditProcessor,
  validationProcessor,
} from './processors.js';
import { WorkerPool } from './factory.js';
import { waitWhileHeld } from '../warehouse/duckdb-errors.js';
import type { WorkerRuntime } from './runtime.js';

export interface WorkerRole {
  readonly pool: WorkerPool;
  stop(): Promise<void>;
}

/** At start-up, how long to wait for a database file held by another process before giving up. */
export const START_HELD_WAIT_MS = 120_000;

export async function startWorkerRole(rt: WorkerRuntime): Promise<WorkerRole> {
  const { config, log, warehouse, sql, state } = rt;
  // Wiring gaps show at start-up: schema and tables exist (idempotent).
  // A file held by another process (a DuckDB shell, the seeder) is waited for, not a crash loop.
  await waitWhileHeld(
    async () => {
      for (const s of sql.init()) await warehouse.execute(s);
    },
    log,
    START_HELD_WAIT_MS,
  );
  const pool = new WorkerPool(rt);
  pool.add('refresh', config.jobs.concurrency.refresh, refreshProcessor, retryValidationIfUnblocked);
  pool.add('retention', config.jobs.concurrency.retention, retentionProcessor, retryValidationIfUnblocked);
  pool.add('validation', config.jobs.concurrency.validation, validationProcessor);
  pool.add('source-audit', 1, sourceAuditProcessor);
  log.info({ queues: [...TASK_QUEUES, 'source-audit'], concurrency: config.jobs.concurrency, engine: warehouse.engine }, 'workers started');

  const check = async (): Promise<void> => {
    try {
      await warehouse.query({ sql: 'SELECT 1 AS ok' });
      await state.recordWarehouseOk();
    } catch (err) {
      log.warn({ err }, 'warehouse check failed');
    }
  };
  let timer: NodeJS.Timeout | undefined;
  if (config.warehouseCheckIntervalMs > 0) {
    await check();
    timer = setInterval(() => void check(), config.warehouseCheckIntervalMs);
    timer.unref();
  }
  return {
    pool,
    stop: async () => {
      clearInterval(timer);
      await pool.close(config.jobs.shutdownGraceMs);
    },
  };
}
