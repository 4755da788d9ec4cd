/**
 * Synthetic source data for the embedded engine and the benchmarks: the
 * three source views as tables of the same names, generated inside the
 * engine, one month at a time, deterministically from the options.
 *
 * The rows are built into staging tables and swapped in at the end in one
 * transaction, so a reader (or hasDemoData) never sees a half-built data set.
 */
import { WarehouseError } from '../errors.js';
import { SOURCE_VIEWS, type SourceView } from '../tables/registry.js';
import { qualified } from '../tables/sql-files.js';
import { dialectFor } from '../warehouse/dialect.js';
import type { Warehouse } from '../warehouse/types.js';
import { ChunkSql, SOURCE_COLUMNS } from './generator.js';
import { makePlan, monthlyChunks } from './plan.js';
import type { DemoScale } from './scales.js';
import type { IsoDate } from '../dates.js';

export type { DemoScale } from './scales.js';
export { DEMO_SCALES, SCALES, isDemoScale } from './scales.js';

export interface SeedProgress {
  /** `create` (staging tables), `generate` (one per month of history), `publish` (swap in). */
  readonly step: 'create' | 'generate' | 'publish';
  readonly done: number;
  readonly total: number;
  /** The month just written (YYYY-MM), for `generate`. */
  readonly month?: string;
}

export interface SeedOptions {
  readonly warehouse: Warehouse;
  readonly catalog: string;
  readonly sourceSchema: string;
  readonly scale: DemoScale;
  /** History length in days, ending at endDate; default per scale (120, 365, 730). */
  readonly days?: number;
  /** Default 42. The same seed, scale, days and endDate give identical rows. */
  readonly seed?: number;
  /** YYYY-MM-DD: the last day with data (usually today in the schedule's time zone). */
  readonly endDate: string;
  readonly onProgress?: (p: SeedProgress) => void;
  readonly signal?: AbortSignal;
}

export interface SeedSummary {
  readonly scale: DemoScale;
  readonly seed: number;
  readonly days: number;
  readonly startDate: IsoDate;
  readonly endDate: IsoDate;
  /** Rows per source table, repeats included. */
  readonly rows: Readonly<Record<SourceView, number>>;
  readonly seconds: number;
}

const STAGING_SUFFIX = '__demo_staging';

export async function seedDemo(opts: SeedOptions): Promise<SeedSummary> {
  const started = performance.now();
  const plan = makePlan(opts.scale, opts.endDate, opts.days, opts.seed ?? 42);
  const { warehouse, signal } = opts;
  const exec = async (sql: string): Promise<void> => {
    await warehouse.execute({ sql }, { signal, tag: { task: 'demo-seed' } });
  };
  const schema = qualified(opts.catalog, opts.sourceSchema);
  const staging = (view: SourceView): string => qualified(opts.catalog, opts.sourceSchema, view + STAGING_SUFFIX);
  const report = (p: SeedProgress): void => opts.onProgress?.(p);

  report({ step: 'create', done: 0, total: 1 });
  await exec(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  for (const view of SOURCE_VIEWS) await exec(`CREATE OR REPLACE TABLE ${staging(view)} (${SOURCE_COLUMNS[view]})`);
  report({ step: 'create', done: 1, total: 1 });

  try {
    const chunks = monthlyChunks(plan);
    const sql = new ChunkSql(plan);
    let offset = 0;
    report({ step: 'generate', done: 0, total: chunks.length });
    for (const [i, chunk] of chunks.entries()) {
      signal?.throwIfAborted();
      const [row] = await warehouse.query({ sql: sql.count(chunk) }, { signal });
      await exec(sql.verifications(staging('vw_crm_verification'), chunk, offset));
      await exec(sql.questions(staging('vw_crm_verification_question'), chunk, offset));
      await exec(sql.actions(staging('vw_crm_action'), chunk, offset));
      offset += Number(row?.n ?? 0);
      report({ step: 'generate', done: i + 1, total: chunks.length, month: chunk.label });
    }
    report({ step: 'publish', done: 0, total: 1 });
    await publish(warehouse, opts.catalog, opts.sourceSchema, staging, signal);
    report({ step: 'publish', done: 1, total: 1 });
  } catch (e) {
    // Best effort, without the signal: an aborted seeding leaves no staging tables behind.
    for (const view of SOURCE_VIEWS) await warehouse.execute({ sql: `DROP TABLE IF EXISTS ${staging(view)}` }).catch(() => undefined);
    throw e;
  }

  const rows = {} as Record<SourceView, number>;
  for (const view of SOURCE_VIEWS) {
    const [row] = await warehouse.query(
      { sql: `SELECT COUNT(*) AS n FROM ${qualified(opts.catalog, opts.sourceSchema, view)}` },
      { signal },
    );
    rows[view] = Number(row?.n ?? 0);
  }
  return {
    scale: plan.scale,
    seed: plan.seed,
    days: plan.days,
    startDate: plan.startDate,
    endDate: plan.endDate,
    rows,
    seconds: Math.round((performance.now() - started) / 10) / 100,
  };
}

/** Replace the source relations (tables or views of those names) by the staging tables, atomically on DuckDB. */
async function publish(
  warehouse: Warehouse,
  catalog: string,
  schema: string,
  staging: (v: SourceView) => string,
  signal?: AbortSignal,
): Promise<void> {
  const existing = await warehouse.query(
    dialectFor(warehouse.engine).bind(
      `SELECT table_name, table_type FROM information_schema.tables WHERE table_catalog = :catalog AND table_schema = :schema`,
      {
        catalog,
        schema,
      },
    ),
    { signal },
  );
  const kind = new Map(existing.map((r) => [String(r.table_name), String(r.table_type)]));
  const statements = SOURCE_VIEWS.flatMap((view) => {
    const target = qualified(catalog, schema, view);
    const current = kind.get(view);
    const drop = current === undefined ? [] : [`DROP ${current === 'VIEW' ? 'VIEW' : 'TABLE'} ${target}`];
    return [...drop, `ALTER TABLE ${staging(view)} RENAME TO ${view}`];
  });
  if (warehouse.engine === 'duckdb') {
    await warehouse.executeAtomic(
      statements.map((sql) => ({ sql })),
      { signal },
    );
    await warehouse.execute({ sql: `CHECKPOINT ${catalog}` }, { signal });
  } else {
    for (const sql of statements) await warehouse.execute({ sql }, { signal });
  }
}

/** True when the three source relations exist in catalog.sourceSchema and none is empty. */
export async function hasDemoData(warehouse: Warehouse, catalog: string, sourceSchema: string): Promise<boolean> {
  for (const view of SOURCE_VIEWS) {
    try {
      const rows = await warehouse.query({ sql: `SELECT 1 AS present FROM ${qualified(catalog, sourceSchema, view)} LIMIT 1` });
      if (rows.length === 0) return false;
    } catch (e) {
      // A missing relation is a plain WarehouseError; anything else (a locked file, a cancelled statement) is not an answer.
      if (e instanceof WarehouseError && e.name === 'WarehouseError' && !e.transient) return false;
      throw e;
    }
  }
  return true;
}
