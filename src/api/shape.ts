/** Warehouse rows → the read API's JSON answers (the same shape from either engine). */
import { addDays, asIsoDate, daysBetween } from '../dates.js';
import type { Row } from '../warehouse/types.js';
import type { SortKey } from './cursor.js';
import type { ActionsAnswer, MetricsAnswer, PrioritiesAnswer } from './schemas.js';
import { MAX_RANGE_DAYS, PRIORIDADES, type ActionsQuery, type MetricsQuery, type PrioritiesQuery } from './params.js';

/** The count columns of crm_metrics_daily, as the answers carry them. */
export const METRIC_COUNTS = [
  'total_verificacoes',
  'verificacoes_nao_conformes',
  'total_perguntas',
  'perguntas_nao_conformes',
  'total_controles_criticos',
  'controles_criticos_nao_conformes',
] as const;
type Count = (typeof METRIC_COUNTS)[number];

const RATES = [
  ['verificacoes_nao_conformes_pct', 'verificacoes_nao_conformes', 'total_verificacoes'],
  ['perguntas_nao_conformes_pct', 'perguntas_nao_conformes', 'total_perguntas'],
  ['controles_criticos_nao_conformes_pct', 'controles_criticos_nao_conformes', 'total_controles_criticos'],
] as const;

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v ?? 0));
const str = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  return typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
};
/** An instant the service wrote (atualizado_em): ISO 8601 in UTC. */
const timestamp = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : str(v));
/** A source's local wall-clock time (criado_em, like CREATED_AT): ISO 8601 without a zone. */
const wallClock = (v: unknown): string | null => (v instanceof Date ? v.toISOString().slice(0, 19) : str(v));
/** Percentage with two decimals; null when the denominator is 0. */
export const pct = (part: number, whole: number): number | null => (whole === 0 ? null : Math.round((10_000 * part) / whole) / 100);

export function metricsBody(q: MetricsQuery, rows: readonly Row[]): MetricsAnswer {
  const ate = asIsoDate(rows[0]?.ate);
  // Without `to`, the range ends at the newest day, and spans at most MAX_RANGE_DAYS from `from`.
  const to =
    ate !== null && q.from !== null && q.to === null && daysBetween(q.from, ate) >= MAX_RANGE_DAYS
      ? addDays(q.from, MAX_RANGE_DAYS - 1)
      : ate;
  const data = rows
    .filter((r) => r.data_referencia !== null && r.data_referencia !== undefined)
    .map((r) => ({
      data_referencia: asIsoDate(r.data_referencia),
      organization_id: str(r.organization_id),
      location_id: str(r.location_id),
      ...(Object.fromEntries(METRIC_COUNTS.map((c) => [c, num(r[c])])) as Record<Count, number>),
      atualizado_em: timestamp(r.atualizado_em),
    }));
  const totals = Object.fromEntries(METRIC_COUNTS.map((c) => [c, data.reduce((s, r) => s + r[c], 0)])) as Record<Count, number>;
  const rates = Object.fromEntries(RATES.map(([name, part, whole]) => [name, pct(totals[part], totals[whole])])) as MetricsAnswer['rates'];
  return { from: q.from ?? to, to, organization_id: q.organization_id, location_id: q.location_id, rows: data, totals, rates };
}

export function prioritiesBody(q: PrioritiesQuery, rows: readonly Row[]): PrioritiesAnswer {
  const date = asIsoDate(rows[0]?.dia);
  const byName = new Map(
    rows.filter((r) => r.prioridade !== null && r.prioridade !== undefined).map((r) => [str(r.prioridade), num(r.total_acoes)]),
  );
  const categories = PRIORIDADES.map((prioridade, ordem) => ({ prioridade, ordem, total_acoes: byName.get(prioridade) ?? 0 }));
  return {
    date,
    organization_id: q.organization_id,
    location_id: q.location_id,
    total: categories.reduce((s, c) => s + c.total_acoes, 0),
    categories,
  };
}

export interface ActionsPage {
  readonly body: Omit<ActionsAnswer, 'next_cursor'>;
  /** The sort key of the page's last row when another page follows. */
  readonly next: SortKey | undefined;
}

/** The page (rows fetched: page_size + 1); `next_cursor` is filled in by the caller from `next`. */
export function actionsPage(q: ActionsQuery, rows: readonly Row[]): ActionsPage {
  const date = asIsoDate(rows[0]?.dia);
  const fetched = rows.filter((r) => r.action_id !== null && r.action_id !== undefined);
  const page = fetched.slice(0, q.page_size);
  const last = page[page.length - 1];
  const next =
    fetched.length > q.page_size && last && date !== null
      ? { date, ordem: num(last.ordem), atraso: num(last.chave_atraso), actionId: str(last.action_id) ?? '' }
      : undefined;
  const items = page.map((r) => ({
    action_id: str(r.action_id),
    organization_id: str(r.organization_id),
    location_id: str(r.location_id),
    verification_id: str(r.verification_id),
    responsavel: str(r.responsavel),
    tipo: str(r.tipo),
    status: str(r.status),
    data_vencimento: asIsoDate(r.data_vencimento),
    prioridade: str(r.prioridade),
    dias_atraso: r.dias_atraso === null || r.dias_atraso === undefined ? null : num(r.dias_atraso),
    criado_em: wallClock(r.criado_em),
    atualizado_em: timestamp(r.atualizado_em),
  }));
  const filters = { organization_id: q.organization_id, location_id: q.location_id, responsavel: q.responsavel, prioridade: q.prioridade };
  return { body: { date, ...filters, page_size: q.page_size, total: num(rows[0]?.total), items }, next };
}
