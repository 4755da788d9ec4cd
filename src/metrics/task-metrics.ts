/**
 * Metrics observed in the process that does the work (worker and scheduler
 * roles). Each process exports its own: sum them across pods.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { TABLE_NAMES } from '../tables/registry.js';
import type { QueryTag } from '../warehouse/types.js';
import type { TaskObserver } from '../workers/runtime.js';

/**
 * From 10 ms (a DuckDB task takes well under a second) up to an hour; 900 s (the slow-run line) and
 * 1800 s (the default JOB_TIMEOUT_MS) are bounds.
 */
export const DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600];
const OUTCOMES = ['success', 'failure', 'retry'] as const;

export interface TaskMetrics {
  readonly observer: TaskObserver;
  readonly statementDuration: Histogram<'engine' | 'task' | 'outcome'>;
  /** Rows a statement's scans read (engines that report them: DuckDB), counted by its tag's task and table. */
  readonly rowsScanned: (scan: { readonly rowsScanned: Readonly<Record<string, number>>; readonly tag?: QueryTag }) => void;
  /** The statements rowsScanned counts: the service's tasks' (not the read API's). */
  readonly countsScansOf: (tag: QueryTag | undefined) => boolean;
}

const TASKS = ['refresh', 'retention', 'validation', 'source-audit'] as const;
const countsScansOf = (tag: QueryTag | undefined): boolean => (TASKS as readonly (string | undefined)[]).includes(tag?.task);

export function registerTaskMetrics(registry: Registry, opts: { slowRunSeconds: number; timeoutSeconds: number }): TaskMetrics {
  const taskDuration = new Histogram({
    name: 'crm_task_duration_seconds',
    help: 'Duration of one task attempt, by task, table and outcome.',
    labelNames: ['task', 'table', 'outcome'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const taskRuns = new Counter({
    name: 'crm_task_runs_total',
    help: 'Task attempts by outcome: retry = failed and will be tried again; failure = failed for good.',
    labelNames: ['task', 'table', 'outcome'],
    registers: [registry],
  });
  // Every series exists from the start, so increase() sees the first failure after a restart.
  for (const task of ['refresh', 'retention'] as const)
    for (const table of TABLE_NAMES) for (const o of OUTCOMES) taskRuns.inc({ task, table, outcome: o }, 0);
  for (const task of ['validation', 'source-audit'] as const) for (const o of OUTCOMES) taskRuns.inc({ task, table: 'all', outcome: o }, 0);

  const runDuration = new Histogram({
    name: 'crm_run_duration_seconds',
    help: 'Duration of a whole run (one flow for one D), from planning to the end of its validation.',
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const runsSlow = new Counter({
    name: 'crm_runs_slow_total',
    help: `Runs that took longer than SLOW_RUN_SECONDS (${opts.slowRunSeconds}).`,
    registers: [registry],
  });
  runsSlow.inc(0);
  const timeout = new Gauge({
    name: 'crm_run_timeout_seconds',
    help: 'The configured per-task timeout (JOB_TIMEOUT_MS).',
    registers: [registry],
  });
  timeout.set(opts.timeoutSeconds);
  const statementDuration = new Histogram({
    name: 'crm_warehouse_statement_duration_seconds',
    help: 'Time spent in the warehouse per statement (warehouse time is what costs money).',
    labelNames: ['engine', 'task', 'outcome'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600],
    registers: [registry],
  });

  const rowsWritten = new Counter({
    name: 'crm_task_rows_written_total',
    help: 'Rows written by successful tasks: refresh = rows inserted, retention = rows deleted.',
    labelNames: ['task', 'table'],
    registers: [registry],
  });
  const rowsScanned = new Counter({
    name: 'crm_task_rows_scanned_total',
    help: 'Rows the warehouse read for a task (every scan of its statements, sources and tables), where the engine reports it (DuckDB).',
    labelNames: ['task', 'table'],
    registers: [registry],
  });
  for (const task of ['refresh', 'retention'] as const) for (const table of TABLE_NAMES) rowsWritten.inc({ task, table }, 0);

  return {
    statementDuration,
    countsScansOf,
    rowsScanned(scan) {
      const task = scan.tag?.task;
      // Bounded labels: only the service's tasks, a known table or 'all'.
      if (!task || !countsScansOf(scan.tag)) return;
      const table = scan.tag?.table && (TABLE_NAMES as readonly string[]).includes(scan.tag.table) ? scan.tag.table : 'all';
      const rows = Object.values(scan.rowsScanned).reduce((n, r) => n + r, 0);
      if (rows > 0) rowsScanned.inc({ task, table }, rows);
    },
    observer: {
      rowsWritten(task, table, rows) {
        rowsWritten.inc({ task, table }, rows);
      },
      taskSettled(task, table, outcome, seconds) {
        taskDuration.observe({ task, table, outcome }, seconds);
        taskRuns.inc({ task, table, outcome });
      },
      runFinished(seconds) {
        runDuration.observe(seconds);
        if (seconds > opts.slowRunSeconds) runsSlow.inc();
      },
    },
  };
}
