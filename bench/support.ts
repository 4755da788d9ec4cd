/**
 * What the benchmarks share: arguments, timing, output, and the task context
 * on a DuckDB file.
 */
import { cpSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../src/log.js';
import { SqlBuilder } from '../src/tables/statements.js';
import type { TaskContext } from '../src/tasks/context.js';
import { duckdbDialect } from '../src/warehouse/dialect.js';
import type { Warehouse } from '../src/warehouse/types.js';

/** The repository root, from bench/ (sources) or .bench-cache/build/bench/ (compiled). */
export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'sql'))) return dir;
  }
  throw new Error(`cannot find the repository root above ${from}`);
}

/**
 * Compiled, the SQL loader looks for sql/ two folders above src/tables/, i.e.
 * inside the build folder: give it a fresh copy of the repository's sql/.
 */
export function provideSqlToBuild(): void {
  const here = dirname(fileURLToPath(import.meta.url));
  const buildRoot = resolve(here, '..');
  if (buildRoot !== ROOT) cpSync(join(ROOT, 'sql'), join(buildRoot, 'sql'), { recursive: true });
}

export function flag(args: readonly string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  if (i >= 0 && args[i + 1] !== undefined) return args[i + 1] as string;
  const inline = args.find((a) => a.startsWith(`--${name}=`));
  return inline ? inline.slice(name.length + 3) : fallback;
}

export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function emit(name: string, value: number | string): void {
  process.stdout.write(`${name}=${typeof value === 'number' ? round(value) : value}\n`);
}

function round(n: number): string {
  if (!Number.isFinite(n) || Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(1) : Math.abs(n) >= 1 ? n.toFixed(3) : n.toPrecision(3);
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

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
