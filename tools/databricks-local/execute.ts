/**
 * Runs a translated statement on a session's DuckDB connection and shapes
 * the outcome as Databricks reports it (rows, INSERT/DELETE counts, SET
 * key/value, VACUUM path).
 */
import type { DuckDBConnection, DuckDBResultReader } from '@duckdb/node-api';
import type { ReceivedParameter, SessionRecord, StatementRecord } from './log.js';
import { bindings, StatementError } from './params.js';
import { deleteCounts, fromReader, insertCounts, synthetic, type ResultSet } from './results.js';
import type { DuckSql, Plan, TableLayout } from './translate.js';

export interface Outcome {
  readonly result: ResultSet | undefined;
  readonly numModifiedRows: number | undefined;
}

export interface RunContext {
  readonly conn: DuckDBConnection;
  readonly record: StatementRecord;
  readonly params: readonly ReceivedParameter[];
  readonly session: SessionRecord;
  /** Throws if the operation was cancelled or timed out meanwhile. */
  readonly checkAlive: () => void;
  /** Check VACUUM's retention like Delta does (168 hours unless the check is disabled). */
  readonly vacuumRetentionCheck: boolean;
}

const MIN_RETAIN_HOURS = 168;
const RETENTION_CHECK_KEY = 'spark.databricks.delta.retentionDurationCheck.enabled';

async function run(ctx: RunContext, stmt: DuckSql): Promise<DuckDBResultReader> {
  ctx.checkAlive();
  const bound = bindings(stmt.params, ctx.params);
  ctx.record.duckdb.push(stmt.sql);
  ctx.record.executed = true;
  return bound ? ctx.conn.runAndReadAll(stmt.sql, bound.values, bound.types) : ctx.conn.runAndReadAll(stmt.sql);
}

async function runPlain(ctx: RunContext, sql: string): Promise<void> {
  ctx.record.duckdb.push(sql);
  await ctx.conn.run(sql);
}

async function replace(ctx: RunContext, plan: Extract<Plan, { kind: 'replace' }>): Promise<Outcome> {
  await runPlain(ctx, 'BEGIN TRANSACTION');
  try {
    const deleted = (await run(ctx, plan.delete)).rowsChanged;
    const inserted = (await run(ctx, plan.insert)).rowsChanged;
    const conforming = Number((await run(ctx, plan.conforming)).getRows()[0]?.[0] ?? 0);
    if (conforming < inserted) {
      throw new StatementError(
        '44000',
        `[DELTA_REPLACE_WHERE_MISMATCH] Written data does not conform to partial table overwrite condition or constraint: ` +
          `${inserted - conforming} of ${inserted} inserted row(s) do not match the REPLACE WHERE predicate`,
      );
    }
    ctx.checkAlive();
    await runPlain(ctx, 'COMMIT');
    ctx.record.replaced = { deleted, inserted };
    return { result: insertCounts(inserted, inserted), numModifiedRows: inserted };
  } catch (error) {
    await runPlain(ctx, 'ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** CREATE TABLE [IF NOT EXISTS]: a table it creates keeps its Delta layout as its comment (DESCRIBE DETAIL reads it). */
async function createTable(ctx: RunContext, statement: DuckSql, layout: TableLayout): Promise<Outcome> {
  const parts = layout.table.split('.').map((p) => `'${p.replaceAll("'", "''")}'`);
  const where =
    parts.length === 3
      ? `database_name = ${parts[0]} AND schema_name = ${parts[1]} AND table_name = ${parts[2]}`
      : `table_name = ${parts.at(-1) ?? "''"}`;
  const existed =
    Number((await run(ctx, { sql: `SELECT COUNT(*) FROM duckdb_tables() WHERE ${where}`, params: [] })).getRows()[0]?.[0] ?? 0) > 0;
  await run(ctx, statement);
  if (!existed) {
    const comment = JSON.stringify({ partitionColumns: layout.partitionColumns, clusteringColumns: layout.clusteringColumns }).replaceAll(
      "'",
      "''",
    );
    await run(ctx, { sql: `COMMENT ON TABLE ${layout.table} IS '${comment}'`, params: [] });
  }
  return { result: undefined, numModifiedRows: undefined };
}

function set(ctx: RunContext, plan: Extract<Plan, { kind: 'set' }>): Outcome {
  const columns = [
    { name: 'key', kind: 'string' as const },
    { name: 'value', kind: 'string' as const },
  ];
  const conf = ctx.session.conf;
  if (plan.key === undefined) {
    return {
      result: synthetic(
        columns,
        Object.entries(conf).map(([k, v]) => [k, v]),
      ),
      numModifiedRows: undefined,
    };
  }
  if (plan.value !== undefined) {
    conf[plan.key] = plan.value;
    ctx.session.sets.push({ key: plan.key, value: plan.value });
  }
  return { result: synthetic(columns, [[plan.key, conf[plan.key] ?? '<undefined>']]), numModifiedRows: undefined };
}

async function maintenance(ctx: RunContext, plan: Extract<Plan, { kind: 'vacuum' | 'optimize' }>): Promise<Outcome> {
  await run(ctx, { sql: `SELECT 1 FROM ${plan.table} LIMIT 0`, params: [] });
  if (plan.kind === 'vacuum') {
    const hours = plan.retainHours ?? MIN_RETAIN_HOURS;
    ctx.record.maintenance = { table: plan.table, retainHours: hours };
    if (ctx.vacuumRetentionCheck && hours < MIN_RETAIN_HOURS && ctx.session.conf[RETENTION_CHECK_KEY] !== 'false') {
      throw new StatementError(
        '22023',
        'requirement failed: Are you sure you would like to vacuum files with such a low retention period? ' +
          `(RETAIN ${hours} HOURS is below ${MIN_RETAIN_HOURS} hours; set ${RETENTION_CHECK_KEY} = false to allow it)`,
      );
    }
  } else {
    ctx.record.maintenance = { table: plan.table };
  }
  return { result: synthetic([{ name: 'path', kind: 'string' }], [[`dbfs:/local/${plan.table}`]]), numModifiedRows: undefined };
}

export async function runPlan(plan: Plan, ctx: RunContext): Promise<Outcome> {
  switch (plan.kind) {
    case 'query': {
      const result = fromReader(await run(ctx, plan.statement));
      return { result, numModifiedRows: undefined };
    }
    case 'insert': {
      const n = (await run(ctx, plan.statement)).rowsChanged;
      return { result: insertCounts(n, n), numModifiedRows: n };
    }
    case 'ctas': {
      await run(ctx, plan.statement);
      // DuckDB reports no row count for CREATE TABLE … AS: count what it wrote.
      const counted = await run(ctx, { sql: `SELECT COUNT(*) AS n FROM ${plan.table}`, params: [] });
      const n = Number(counted.getRows()[0]?.[0] ?? 0);
      return { result: insertCounts(n, n), numModifiedRows: n };
    }
    case 'delete': {
      const n = (await run(ctx, plan.statement)).rowsChanged;
      return { result: deleteCounts(n), numModifiedRows: n };
    }
    case 'ddl':
    case 'use':
      if (plan.kind === 'ddl' && plan.layout) return createTable(ctx, plan.statement, plan.layout);
      await run(ctx, plan.statement);
      return { result: undefined, numModifiedRows: undefined };
    case 'replace':
      return replace(ctx, plan);
    case 'set':
      return set(ctx, plan);
    case 'vacuum':
    case 'optimize':
      return maintenance(ctx, plan);
  }
}

const DUCKDB_CLASSES: ReadonlyArray<[RegExp, string, string]> = [
  [/^Parser Error/, '42601', 'PARSE_SYNTAX_ERROR'],
  [/^Catalog Error: Table with name|^Catalog Error: Table or view/, '42P01', 'TABLE_OR_VIEW_NOT_FOUND'],
  [/^Catalog Error: Schema with name/, '42704', 'SCHEMA_NOT_FOUND'],
  [/^Catalog Error: Scalar Function|^Catalog Error: .*[Ff]unction/, '42883', 'UNRESOLVED_ROUTINE'],
  [/^Catalog Error/, '42000', 'CATALOG_ERROR'],
  [/^Binder Error: .*[Cc]olumn|^Binder Error: Referenced column/, '42703', 'UNRESOLVED_COLUMN'],
  [/^Binder Error/, '42000', 'ANALYSIS_ERROR'],
  [/^Conversion Error/, '22018', 'CAST_INVALID_INPUT'],
  [/^Out of Range Error/, '22003', 'ARITHMETIC_OVERFLOW'],
  [/^Invalid Input Error/, '22023', 'INVALID_INPUT'],
  [/^Constraint Error/, '23000', 'CONSTRAINT_VIOLATION'],
  [/^TransactionContext Error/, '40000', 'TRANSACTION_CONFLICT'],
];

/** Any error from a run as a StatementError with a Databricks-like SQLSTATE. */
export function asStatementError(error: unknown): StatementError {
  if (error instanceof StatementError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const hit = DUCKDB_CLASSES.find(([re]) => re.test(message));
  const [, sqlState, errorClass] = hit ?? [undefined, 'XX000', 'INTERNAL_ERROR'];
  return new StatementError(sqlState, `[${errorClass}] ${message}`);
}

export const isInterrupt = (error: unknown): boolean => error instanceof Error && /^INTERRUPT Error/.test(error.message);
