/**
 * The source audit: anomalies that need a scan of the whole views
 * (verification rows without a date, questions of unknown verifications,
 * closed status without CLOSED_AT over all history). Its own task on its
 * own schedule (weekly by default), so the daily run never pays those scans.
 */
import { AUDIT_KINDS, type AuditKind } from '../tables/checks.js';
import { textTable } from '../text-table.js';
import { elapsedSeconds, type TaskContext } from './context.js';

export interface AuditReport {
  /** When the audit finished (ISO 8601). */
  readonly at: string;
  readonly anomalies: Readonly<Record<AuditKind, number>>;
  readonly seconds: number;
}

export async function runSourceAudit(ctx: TaskContext, now: () => Date = () => new Date()): Promise<AuditReport> {
  const started = performance.now();
  await ctx.progress?.('source audit: counting anomalies over the whole source views');
  const [row] = await ctx.warehouse.query(ctx.sql.sourceAudit(), { signal: ctx.signal, tag: ctx.tag });
  const anomalies = Object.fromEntries(AUDIT_KINDS.map((k) => [k, Number(row?.[k] ?? 0)])) as Record<AuditKind, number>;
  const report: AuditReport = { at: now().toISOString(), anomalies, seconds: elapsedSeconds(started) };
  ctx.log.info({ anomalies, seconds: report.seconds }, 'source audit done');
  return report;
}

export function formatAudit(report: AuditReport): string {
  const rows = AUDIT_KINDS.map((k) => [k, report.anomalies[k]]);
  return [`Source audit at ${report.at} (${report.seconds}s; reported, not fatal)`, textTable(['anomaly', 'count'], rows)].join('\n');
}
