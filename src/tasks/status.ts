/** A table's freshness status, from its validation summary (docs/data-contract.md, "Validation"). */
import { dataLagDays, type IsoDate } from '../dates.js';
import type { TableSpec } from '../tables/registry.js';

export type TableStatus = 'ok' | 'warning' | 'critical';
export const TABLE_STATUSES: readonly TableStatus[] = ['ok', 'warning', 'critical'];

export interface TableSummary {
  readonly registros: number;
  readonly ultimaData: IsoDate | null;
  readonly ultimaAtualizacao: Date | null;
  /** Days of the run's window the table lacks although their sources had rows (validation.ts). */
  readonly missingDays?: readonly string[];
  /** The sources could not be read: missingDays are all the days the table lacks, with this error. */
  readonly missingDaysSourceError?: string;
}

export interface StatusVerdict {
  readonly status: TableStatus;
  /** D - ultima_data in days; 0 when the table holds D or later (validating a past date). */
  readonly diasAtraso: number | null;
  readonly reasons: readonly string[];
}

export function tableStatus(spec: TableSpec, s: TableSummary, refDate: IsoDate, now: Date): StatusVerdict {
  const reasons: string[] = [];
  let status: TableStatus = 'ok';
  const raise = (to: TableStatus, reason: string): void => {
    reasons.push(reason);
    if (to === 'critical' || status === 'ok') status = to;
  };
  const diasAtraso = s.ultimaData === null ? null : dataLagDays(s.ultimaData, refDate);
  if (s.registros === 0) raise('critical', 'table is empty');
  if (s.ultimaAtualizacao !== null) {
    const ageHours = (now.getTime() - s.ultimaAtualizacao.getTime()) / 3_600_000;
    if (ageHours > spec.freshness.maxWriteAgeHours)
      raise('critical', `last written ${Math.floor(ageHours)}h ago (> ${spec.freshness.maxWriteAgeHours}h)`);
  }
  if (diasAtraso !== null) {
    const { criticalLagDays, warningLagDays } = spec.freshness;
    if (criticalLagDays !== null && diasAtraso > criticalLagDays) raise('critical', `data lag ${diasAtraso} days (> ${criticalLagDays})`);
    else if (diasAtraso > warningLagDays) raise('warning', `data lag ${diasAtraso} days (> ${warningLagDays})`);
  }
  const missing = s.missingDays ?? [];
  if (missing.length > 0) {
    const days = missing.length === 1 ? `day ${missing[0]}` : `days ${missing.join(', ')}`;
    const why =
      s.missingDaysSourceError === undefined
        ? `although the sources have rows for ${missing.length === 1 ? 'it' : 'them'}`
        : `and its sources could not be read to tell whether it should (${s.missingDaysSourceError})`;
    raise(
      'critical',
      `${spec.name} lacks ${days} ${why}: re-run the date with \`crm-materializer run --date ${refDate} --tables ${spec.name} --force\``,
    );
  }
  return { status, diasAtraso, reasons };
}
