/**
 * Arguments, output and statistics of every benchmark: `name=value` lines on
 * stdout, progress on stderr.
 */
import { cpSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The repository root, from bench/ (sources) or .bench-cache/build/bench/ (compiled). */
export const ROOT = findRoot(HERE);

function findRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'sql'))) return dir;
  }
  throw new Error(`cannot find the repository root above ${from}`);
}

/**
 * Compiled into .bench-cache/build/, the SQL and Lua loaders look for sql/
 * and lua/ two folders above src/tables/ and src/queue/, i.e. inside the
 * build folder: copy them there.
 */
export function provideRuntimeFiles(): void {
  const buildRoot = resolve(HERE, '..');
  if (buildRoot === ROOT) return;
  for (const dir of ['sql', 'lua']) cpSync(join(ROOT, dir), join(buildRoot, dir), { recursive: true });
}

export function flag(args: readonly string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  if (i >= 0 && args[i + 1] !== undefined) return args[i + 1] as string;
  const inline = args.find((a) => a.startsWith(`--${name}=`));
  return inline ? inline.slice(name.length + 3) : fallback;
}

export function numberFlag(args: readonly string[], name: string, fallback: number, min = 1): number {
  const raw = flag(args, name, String(fallback));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} ${raw}: must be an integer >= ${min}`);
  return n;
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

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank] as number;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
