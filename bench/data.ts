/**
 * The benchmark's source data: built once per scale/seed/end date into a
 * DuckDB file under .bench-cache/data/, reused while the demo generator is
 * unchanged (a marker beside the file records what it holds).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedDemo, type DemoScale, type SeedSummary } from '../src/demo/seed.js';
import { DUCKDB_DEFAULT_ROW_GROUP_SIZE, DuckDbWarehouse } from '../src/warehouse/duckdb.js';
import { ROOT, progress } from './support.js';

export interface BenchData {
  readonly path: string;
  readonly summary: SeedSummary;
  /** Seconds spent seeding now; null when the cached file was reused. */
  readonly seededSeconds: number | null;
}

export interface DataRequest {
  readonly scale: DemoScale;
  readonly seed: number;
  readonly endDate: string;
  readonly catalog: string;
  readonly sourceSchema: string;
}

/** Changes whenever the generator's source changes, so a stale cache is rebuilt. */
function generatorVersion(): string {
  const dir = join(ROOT, 'src', 'demo');
  const hash = createHash('sha256');
  for (const f of readdirSync(dir).sort()) hash.update(f).update(readFileSync(join(dir, f)));
  return hash.digest('hex').slice(0, 12);
}

export async function ensureData(req: DataRequest): Promise<BenchData> {
  const dir = join(ROOT, '.bench-cache', 'data');
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${req.scale}-seed${req.seed}-${req.endDate}`);
  const path = `${base}.duckdb`;
  const markerPath = `${base}.json`;
  const key = { ...req, generator: generatorVersion() };
  if (existsSync(path) && existsSync(markerPath)) {
    const marker = JSON.parse(readFileSync(markerPath, 'utf8')) as { key: unknown; summary: SeedSummary };
    if (JSON.stringify(marker.key) === JSON.stringify(key)) {
      progress(`data: reusing ${path}`);
      return { path, summary: marker.summary, seededSeconds: null };
    }
  }
  for (const f of [path, `${path}.wal`, markerPath]) rmSync(f, { force: true });
  progress(`data: seeding ${req.scale} (seed ${req.seed}, ending ${req.endDate}) into ${path}`);
  // The source views' stand-in is written in DuckDB's default row groups, as before the service
  // wrote its tables in smaller ones: the views' side of the comparison is not made cheaper.
  const warehouse = new DuckDbWarehouse({
    path,
    catalog: req.catalog,
    rowGroupSize: DUCKDB_DEFAULT_ROW_GROUP_SIZE,
    optimisticWrites: true,
  });
  try {
    const summary = await seedDemo({
      warehouse,
      catalog: req.catalog,
      sourceSchema: req.sourceSchema,
      scale: req.scale,
      seed: req.seed,
      endDate: req.endDate,
      onProgress: (p) => {
        if (p.step === 'generate' && p.done > 0) progress(`data: ${p.month ?? ''} written (${p.done}/${p.total})`);
        else if (p.done === 0) progress(`data: ${p.step}`);
      },
    });
    writeFileSync(markerPath, `${JSON.stringify({ key, summary }, null, 2)}\n`);
    progress(`data: seeded in ${summary.seconds}s: ${JSON.stringify(summary.rows)}`);
    return { path, summary, seededSeconds: summary.seconds };
  } finally {
    await warehouse.close();
  }
}
