/** Human-readable run summaries and validation tables. */
import type { RunSummary } from './run-inline.js';
import type { ValidationReport } from './validation.js';
import { textTable } from '../text-table.js';

export function formatRunSummary(summary: RunSummary): string {
  const rows = summary.outcomes.map((o) => [o.task, o.table, o.ok ? 'ok' : 'FAILED', o.rows, o.seconds.toFixed(2), o.error]);
  return `Run for ${summary.date}\n${textTable(['task', 'table', 'outcome', 'rows', 'seconds', 'error'], rows)}`;
}

export function formatValidation(report: ValidationReport): string {
  const rows = report.tables.map((t) => [
    t.tabela,
    t.registros,
    t.ultima_data,
    t.dias_atraso,
    t.ultima_atualizacao,
    t.status,
    t.failed_checks.join(',') || '-',
  ]);
  const table = textTable(['tabela', 'registros', 'ultima_data', 'dias_atraso', 'ultima_atualizacao', 'status', 'failed checks'], rows);
  const reasons = report.tables.flatMap((t) => t.reasons.map((r) => `  ${t.tabela}: ${r}`));
  const checks = report.checks.map((c) => `${c.name}=${c.falhas === 0 ? 'ok' : `FAILED (${c.falhas})`}`).join('  ');
  const anomalies = report.anomalies
    ? Object.entries(report.anomalies)
        .map(([k, v]) => `${k}=${v}`)
        .join('  ')
    : `not counted (${report.anomaliesError ?? 'unknown error'})`;
  return [
    `Validation for ${report.date}`,
    table,
    ...(reasons.length > 0 ? ['status reasons:', ...reasons] : []),
    `checks: ${checks || '(none for these tables)'}`,
    `source anomalies among the rows read for ${report.date} (reported, not fatal; whole views: crm-materializer audit): ${anomalies}`,
  ].join('\n');
}
