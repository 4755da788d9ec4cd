/**
 * Validation for D: the original runbook's query per table, the status rule,
 * the consistency checks (failing the validation) and the source anomalies
 * among the rows the run read (reported only).
 */
import { asIsoDate, dateRange, type IsoDate } from '../dates.js';
import { ANOMALIES, CHECKS, type AnomalyName } from '../tables/checks.js';
import { TABLES, type TableName } from '../tables/registry.js';
import { StatementCancelledError, WarehouseFileError } from '../errors.js';
import { refreshRange } from '../tables/windows.js';
import type { ExecOptions } from '../warehouse/types.js';
import { elapsedSeconds, type TaskContext } from './context.js';
import { tableStatus, type TableStatus } from './status.js';

/**
 * One table's validation, under the contract's names (the report, the job's
 * return value and `validate --json` show them). Where they meet the code's
 * English names:
 * - `tabela`: the table; `registros`: its rows;
 * - `ultima_data`: the newest date it holds (`latest_date` in /api/v1/freshness);
 * - `dias_atraso`: D - ultima_data in days, never negative (`data_lag_days_at_date`
 *   in /api/v1/freshness, whose `data_lag_days` is today - latest_date);
 * - `ultima_atualizacao`: the newest `atualizado_em` of its rows (when they were written);
 * - `dias_faltando`: the window's missing days; `falhas` (checks): rows a check found.
 */
export interface TableValidation {
  readonly tabela: TableName;
  readonly registros: number;
  readonly ultima_data: string | null;
  readonly dias_atraso: number | null;
  readonly ultima_atualizacao: string | null;
  readonly status: TableStatus;
  readonly reasons: readonly string[];
  readonly failed_checks: readonly string[];
  /** Days of the run's window the table lacks although their sources had rows (each makes it `critical`). */
  readonly dias_faltando?: readonly string[];
}

export interface CheckResult {
  readonly name: string;
  readonly tables: readonly TableName[];
  readonly falhas: number;
}

export interface ValidationReport {
  readonly date: IsoDate;
  readonly tables: readonly TableValidation[];
  readonly checks: readonly CheckResult[];
  /**
   * Anomalies among the rows the run read for D (the whole views are the
   * source audit's). Null when the sources could not be read (anomaliesError
   * says why): reported, never fatal.
   */
  readonly anomalies: Readonly<Record<AnomalyName, number>> | null;
  readonly anomaliesError?: string;
  /** False when a consistency check failed. */
  readonly checksPassed: boolean;
  readonly worstStatus: TableStatus;
  readonly seconds: number;
}

/**
 * `counted`: the anomalies the run's refresh of the snapshot counted among the
 * actions it read for D (from its stage: the view is not read again). Without
 * them (the `validate` command, a run that did not refresh the snapshot) they
 * are counted from the view.
 */
export async function validate(
  ctx: TaskContext,
  refDate: IsoDate,
  tables: readonly TableName[],
  windowDays: number,
  now = new Date(),
  counted?: Readonly<Record<AnomalyName, number>>,
): Promise<ValidationReport> {
  const started = performance.now();
  const opts = { signal: ctx.signal, tag: ctx.tag };
  const checks: CheckResult[] = [];
  for (const check of CHECKS.filter((c) => c.tables.every((t) => tables.includes(t)))) {
    const [row] = await ctx.warehouse.query(ctx.sql.check(check, refDate, windowDays), opts);
    checks.push({ name: check.name, tables: check.tables, falhas: Number(row?.falhas ?? 0) });
  }
  const rows: TableValidation[] = [];
  for (const table of tables) {
    const [row] = await ctx.warehouse.query(ctx.sql.validationSummary(table), opts);
    const summary = {
      registros: Number(row?.registros ?? 0),
      ultimaData: asIsoDate(row?.ultima_data),
      ultimaAtualizacao: row?.ultima_atualizacao instanceof Date ? row.ultima_atualizacao : null,
      ...(await missingDays(ctx, table, refDate, windowDays, opts)),
    };
    const verdict = tableStatus(TABLES[table], summary, refDate, now);
    rows.push({
      tabela: table,
      registros: summary.registros,
      ultima_data: summary.ultimaData,
      dias_atraso: verdict.diasAtraso,
      ultima_atualizacao: summary.ultimaAtualizacao?.toISOString() ?? null,
      status: verdict.status,
      reasons: verdict.reasons,
      failed_checks: checks.filter((c) => c.falhas > 0 && c.tables.includes(table)).map((c) => c.name),
      dias_faltando: summary.missingDays,
    });
  }
  const { anomalies, anomaliesError } = counted
    ? { anomalies: { ...counted }, anomaliesError: undefined }
    : await countAnomalies(ctx, refDate, opts);
  const report: ValidationReport = {
    date: refDate,
    tables: rows,
    checks,
    anomalies,
    ...(anomaliesError ? { anomaliesError } : {}),
    checksPassed: checks.every((c) => c.falhas === 0),
    worstStatus: rows.some((r) => r.status === 'critical') ? 'critical' : rows.some((r) => r.status === 'warning') ? 'warning' : 'ok',
    seconds: elapsedSeconds(started),
  };
  ctx.log.info({ date: refDate, worstStatus: report.worstStatus, checksPassed: report.checksPassed, anomalies }, 'validation done');
  return report;
}

/**
 * The days of the run's window for the table ([D-(W-1), D], or D for a
 * snapshot) that it lacks although their sources had rows: days the run
 * should have written. The sources are read only when the table lacks a day,
 * and only for the window. Sources that cannot be read cannot clear an absent
 * day: every absent day is then missing, with the error.
 */
async function missingDays(
  ctx: TaskContext,
  table: TableName,
  refDate: IsoDate,
  windowDays: number,
  opts: ExecOptions,
): Promise<{ missingDays: string[]; missingDaysSourceError?: string }> {
  const range = refreshRange(table, refDate, windowDays);
  const held = new Set((await ctx.warehouse.query(ctx.sql.windowDaysHeld(table, range), opts)).map((r) => asIsoDate(r.dia)));
  const absent = dateRange(range.from, range.to).filter((d) => !held.has(d));
  if (absent.length === 0) return { missingDays: [] };
  try {
    const expected = new Set((await ctx.warehouse.query(ctx.sql.expectedDays(table, range), opts)).map((r) => asIsoDate(r.dia)));
    return { missingDays: absent.filter((d) => expected.has(d)) };
  } catch (e) {
    if (e instanceof StatementCancelledError || e instanceof WarehouseFileError) throw e;
    const missingDaysSourceError = e instanceof Error ? e.message : String(e);
    ctx.log.warn({ table, error: missingDaysSourceError }, 'the sources of the days a table lacks could not be read');
    return { missingDays: absent, missingDaysSourceError };
  }
}

/** Source anomalies are information: a source that cannot be read is reported, not fatal. */
async function countAnomalies(
  ctx: TaskContext,
  refDate: IsoDate,
  opts: ExecOptions,
): Promise<{ anomalies: Record<AnomalyName, number> | null; anomaliesError?: string }> {
  try {
    const [row] = await ctx.warehouse.query(ctx.sql.anomalies(refDate), opts);
    return { anomalies: Object.fromEntries(ANOMALIES.map((a) => [a, Number(row?.[a] ?? 0)])) as Record<AnomalyName, number> };
  } catch (e) {
    // A damaged database file is no source anomaly: the validation fails.
    if (e instanceof StatementCancelledError || e instanceof WarehouseFileError) throw e;
    const anomaliesError = e instanceof Error ? e.message : String(e);
    ctx.log.warn({ error: anomaliesError }, 'source anomalies could not be counted');
    return { anomalies: null, anomaliesError };
  }
}
