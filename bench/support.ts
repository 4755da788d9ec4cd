/**
 * What the refresh benchmark's parts share: timing and the task context on a
 * DuckDB file (arguments and output come from harness.ts).
 */
import { createLogger } from '../src/log.js';
import { SqlBuilder } from '../src/tables/statements.js';
import type { TaskContext } from '../src/tasks/context.js';
import { duckdbDialect } from '../src/warehouse/dialect.js';
import type { Warehouse } from '../src/warehouse/types.js';

import { median } from './harness.js';

export { ROOT, emit, flag, median, progress, provideRuntimeFiles } from './harness.js';

/** Wall-clock and CPU time (all threads of this process, DuckDB's included), in seconds. */
export interface Cost {
  readonly wall: number;
  readonly cpu: number;
}

export async function measure(fn: () => Promise<unknown>): Promise<Cost> {
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  await fn();
  const cpu = process.cpuUsage(cpu0);
  return { wall: (performance.now() - t) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

/** Seconds taken by fn. */
export async function seconds(fn: () => Promise<unknown>): Promise<number> {
  return (await measure(fn)).wall;
}

/** Median wall and CPU time over `reps` runs, after `warmup` untimed ones. */
export async function medianCost(reps: number, fn: () => Promise<unknown>, warmup = 1): Promise<Cost> {
  for (let i = 0; i < warmup; i++) await fn();
  const costs: Cost[] = [];
  for (let i = 0; i < reps; i++) costs.push(await measure(fn));
  return { wall: median(costs.map((c) => c.wall)), cpu: median(costs.map((c) => c.cpu)) };
}

export interface BenchNames {
  readonly catalog: string;
  readonly sourceSchema: string;
  readonly targetSchema: string;
}

export function taskContext(warehouse: Warehouse, names: BenchNames): TaskContext {
  const sql = new SqlBuilder(
    {
      catalog: names.catalog,
      schema: names.targetSchema,
      sourceCatalog: names.catalog,
      sourceSchema: names.sourceSchema,
      vacuumRetainHours: 168,
      optimizeAfterRefresh: false,
    },
    duckdbDialect,
  );
  return { warehouse, sql, log: createLogger('silent') };
}
