/**
 * Validation's consistency checks and source anomaly counts, declared once.
 * A check fails the validation when its `falhas` is above 0; anomalies are
 * reported, never fatal.
 */
import type { TableName } from './registry.js';

export interface CheckSpec {
  /** Bounded name: used as a metric label and in reports. */
  readonly name: string;
  readonly file: string;
  /** The check runs when all these tables are validated. */
  readonly tables: readonly TableName[];
}

export const CHECKS: readonly CheckSpec[] = [
  {
    name: 'priorities_match_snapshot',
    file: '09_check_priorities_match_snapshot.sql',
    tables: ['crm_action_priorities_daily', 'crm_actions_open_snapshot'],
  },
  { name: 'snapshot_unique_actions', file: '10_check_snapshot_unique_actions.sql', tables: ['crm_actions_open_snapshot'] },
  { name: 'metrics_within_totals', file: '11_check_metrics_bounds.sql', tables: ['crm_metrics_daily'] },
];

/** Columns of 12_source_anomalies.sql: anomalies among the rows the daily run read for D. */
export const ANOMALIES_FILE = '12_source_anomalies.sql';
export const ANOMALIES = ['acoes_fechadas_sem_closed_at'] as const;
export type AnomalyName = (typeof ANOMALIES)[number];

/** Columns of 13_source_audit.sql: anomalies over the whole views (the source audit task). */
export const AUDIT_FILE = '13_source_audit.sql';
export const AUDIT_KINDS = ['acoes_fechadas_sem_closed_at', 'verificacoes_sem_data', 'perguntas_sem_verificacao'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];
