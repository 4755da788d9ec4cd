/** `demo seed`: synthetic source data in the DuckDB file, with progress. */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { DEMO_SCALES, seedDemo, type SeedProgress, type SeedSummary } from '../demo/seed.js';
import type { Services } from './services.js';
import { parseChoice, parseIntFlag, parseDateFlag } from './options.js';
import { withServices } from './services.js';

type Out = (text: string) => void;

export interface SeedFlags {
  readonly scale?: string;
  readonly days?: string;
  readonly seed?: string;
  readonly endDate?: string;
}

/** Seed with a progress line on stderr (a terminal sees it update in place). */
export async function seedWithProgress(
  s: Services,
  flags: SeedFlags,
  err: (text: string) => void = (t) => process.stderr.write(t),
): Promise<SeedSummary> {
  if (s.config.warehouse !== 'duckdb')
    throw new UsageError('demo seed writes the embedded DuckDB file only: unset WAREHOUSE or set WAREHOUSE=duckdb');
  const scale = parseChoice(flags.scale ?? 'small', DEMO_SCALES, '--scale');
  const tty = process.stderr.isTTY;
  const onProgress = (p: SeedProgress): void => {
    const line = `seeding ${scale}: ${p.step} ${p.done}/${p.total}${p.month ? ` (${p.month})` : ''}`;
    err(tty ? `\r${line.padEnd(60)}` : `${line}\n`);
  };
  const summary = await seedDemo({
    warehouse: s.warehouse,
    catalog: s.config.catalog,
    sourceSchema: s.config.sourceSchema,
    scale,
    days: parseIntFlag(flags.days, '--days', 1, 3660),
    seed: parseIntFlag(flags.seed, '--seed', 0, 2_147_483_647),
    endDate: parseDateFlag(flags.endDate, s.config.scheduleTz, '--end-date'),
    onProgress,
    signal: s.ctx.signal,
  });
  if (tty) err('\n');
  return summary;
}

export function registerDemoCommands(program: Command, out: Out): void {
  program
    .command('demo')
    .description('synthetic demo data')
    .command('seed')
    .description('write deterministic synthetic source views into the DuckDB file (replaces earlier demo data)')
    .option('--scale <scale>', `${DEMO_SCALES.join(' | ')}`, 'small')
    .option('--days <N>', 'days of history ending today (default per scale: 120, 365, 730)')
    .option('--seed <N>', 'random seed (same seed, same data)', '42')
    .option('--end-date <YYYY-MM-DD>', 'last day with data (default: today in SCHEDULE_TZ)')
    .action((flags: SeedFlags) =>
      withServices(
        async (s) => {
          const summary = await seedWithProgress(s, flags);
          const rows = Object.entries(summary.rows)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ');
          out(`seeded ${summary.scale} (${summary.startDate}..${summary.endDate}, seed ${summary.seed}) in ${summary.seconds}s: ${rows}`);
        },
        { create: true },
      ),
    );
}
