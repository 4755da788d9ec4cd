/** Every statement of a run for one date, grouped by task: what `sql render` prints. */
import type { Config } from '../config/index.js';
import type { Statement } from '../warehouse/types.js';
import { CHECKS } from './checks.js';
import { TABLE_NAMES, refreshOrder } from './registry.js';
import { guardStatements } from './guard.js';
import type { SqlBuilder } from './statements.js';
import { refreshRange, retentionCutoff } from './windows.js';

export interface PlannedStep {
  readonly title: string;
  readonly statements: readonly Statement[];
  /** Run with executeAtomic. */
  readonly atomic: boolean;
}

export function planStatements(sql: SqlBuilder, config: Config, date: string, writtenAt = new Date()): PlannedStep[] {
  const step = (title: string, statements: readonly Statement[], atomic = false): PlannedStep => ({ title, statements, atomic });
  return [
    step('init', sql.init()),
    ...refreshOrder(TABLE_NAMES).flatMap((t) => {
      const range = refreshRange(t, date, config.refreshWindowDays);
      // The publish guard's reads (DuckDB reads the candidate inside the replace's transaction, before COMMIT).
      const { history, candidate } = guardStatements(sql, t, range, writtenAt);
      return [step(`publish guard ${t}`, [history, candidate]), step(`refresh ${t}`, sql.refresh(t, range, writtenAt), true)];
    }),
    ...TABLE_NAMES.flatMap((t) => sql.afterRefresh(t).map((s) => step(`after refresh ${t}`, [s]))),
    ...TABLE_NAMES.map((t) => step(`retention ${t}`, sql.retention(t, retentionCutoff(date, config.retentionDays[t])))),
    ...CHECKS.map((c) => step(`validation check ${c.name}`, [sql.check(c, date, config.refreshWindowDays)])),
    ...TABLE_NAMES.map((t) => step(`validation summary ${t}`, [sql.validationSummary(t)])),
    step('validation source anomalies', [sql.anomalies(date)]),
    step('source audit', [sql.sourceAudit()]),
  ];
}
