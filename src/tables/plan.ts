/** Every statement of a run for one date, grouped by task: what `sql render` prints. */
import type { Config } from '../config/index.js';
import type { Statement } from '../warehouse/types.js';
import { CHECKS } from './checks.js';
import { TABLE_NAMES, refreshOrder, type TableName } from './registry.js';
import { guardStatements } from './guard.js';
import type { SqlBuilder } from './statements.js';
import { refreshRange, retentionCutoff } from './windows.js';
import type { IsoDate } from '../dates.js';

/** The task a step belongs to (`init` and the source audit run outside a daily run). */
export type PlannedTask = 'init' | 'refresh' | 'retention' | 'validation' | 'audit';

export interface PlannedStep {
  readonly title: string;
  readonly task: PlannedTask;
  /** The one table the step is about; undefined for a step over several or none. */
  readonly table: TableName | undefined;
  readonly statements: readonly Statement[];
  /** Run with executeAtomic. */
  readonly atomic: boolean;
}

export function planStatements(sql: SqlBuilder, config: Config, date: IsoDate, writtenAt = new Date()): PlannedStep[] {
  const step = (
    title: string,
    task: PlannedTask,
    table: TableName | undefined,
    statements: readonly Statement[],
    atomic = false,
  ): PlannedStep => ({
    title,
    task,
    table,
    statements,
    atomic,
  });
  return [
    step('init', 'init', undefined, sql.init()),
    ...refreshOrder(TABLE_NAMES).flatMap((t) => {
      const range = refreshRange(t, date, config.refreshWindowDays);
      // The publish guard's reads (DuckDB reads the candidate inside the replace's transaction, before COMMIT).
      const { history, candidate } = guardStatements(sql, t, range, writtenAt);
      // The actions read once, staged in the session: the snapshot and the anomaly count read the stage.
      const staged = sql.stagedAnomalies(t, range);
      const stage = sql.stage(t, range);
      return [
        ...(stage.length > 0 ? [step(`stage ${t}`, 'refresh', t, stage)] : []),
        step(`publish guard ${t}`, 'refresh', t, [history, candidate]),
        step(`refresh ${t}`, 'refresh', t, sql.refresh(t, range, writtenAt), true),
        ...(staged ? [step(`source anomalies among the rows read by ${t}`, 'refresh', t, [staged, ...sql.unstage(t, range)])] : []),
      ];
    }),
    ...TABLE_NAMES.flatMap((t) => sql.afterRefresh(t).map((s) => step(`after refresh ${t}`, 'refresh', t, [s]))),
    ...TABLE_NAMES.map((t) => step(`retention ${t}`, 'retention', t, sql.retention(t, retentionCutoff(date, config.retentionDays[t])))),
    ...CHECKS.map((c) =>
      step(`validation check ${c.name}`, 'validation', c.tables.length === 1 ? c.tables[0] : undefined, [
        sql.check(c, date, config.refreshWindowDays),
      ]),
    ),
    ...TABLE_NAMES.map((t) => step(`validation summary ${t}`, 'validation', t, [sql.validationSummary(t)])),
    // The sources are read only for the days the table lacks.
    ...TABLE_NAMES.map((t) => {
      const range = refreshRange(t, date, config.refreshWindowDays);
      return step(`validation missing days ${t}`, 'validation', t, [sql.windowDaysHeld(t, range), sql.expectedDays(t, range)]);
    }),
    step('validation source anomalies (the validate command alone: a run counts them in the refresh)', 'validation', undefined, [
      sql.anomalies(date),
    ]),
    step('source audit', 'audit', undefined, [sql.sourceAudit()]),
  ];
}
