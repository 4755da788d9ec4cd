/**
 * The demo data set's sizes per scale and the shares of every edge case the
 * SQL must handle. Sizes are approximate; the data is exact for a given
 * seed, scale, history length and end date.
 */

export type DemoScale = 'small' | 'medium' | 'large';
export const DEMO_SCALES: readonly DemoScale[] = ['small', 'medium', 'large'];

export interface ScaleSpec {
  /** Default history length in days (the last one is the end date). */
  readonly days: number;
  readonly organizations: number;
  readonly locations: number;
  /** Mean verifications per location on a weekday (Saturday and Sunday are lighter). */
  readonly visitsPerWeekday: number;
}

/**
 * small:  ~2.5k verifications, ~65k question rows, ~1k actions (seconds; `npm start`, tests)
 * medium: ~100k verifications, ~2.6M question rows, ~35k actions (one year)
 * large:  ~1.05M verifications, ~27M question rows, ~350k actions (two years)
 */
export const SCALES: Readonly<Record<DemoScale, ScaleSpec>> = {
  small: { days: 120, organizations: 3, locations: 24, visitsPerWeekday: 1.2 },
  medium: { days: 365, organizations: 6, locations: 220, visitsPerWeekday: 1.7 },
  large: { days: 730, organizations: 12, locations: 960, visitsPerWeekday: 2.0 },
};

export function isDemoScale(value: string): value is DemoScale {
  return (DEMO_SCALES as readonly string[]).includes(value);
}

/** Shares and shapes shared by every scale. */
export const MIX = {
  /** Candidate verification slots per location-day (each kept with the visit probability). */
  slotsPerDay: 4,
  /** Day-of-week factors, Monday first. */
  weekdayFactor: [1, 1, 1, 1, 1, 0.55, 0.05],
  /** Share of locations opened during the history (the others exist from day one). */
  lateOpening: 0.15,
  /** Locations' activity factor: 0.5 + uniform [0, 1). */
  activityBase: 0.5,
  /** Locations' non-conformity rate per answer: from .. from + spread. */
  nonConformingFrom: 0.02,
  nonConformingSpread: 0.05,
  /** Critical controls fail less often than other questions. */
  criticalFailFactor: 0.6,
  unanswered: 0.03,
  /** Verifications without a date, and removed ones (their questions stay: questions of unknown verifications). */
  verificationNoDate: 0.002,
  verificationRemoved: 0.002,
  verificationRepeat: 0.01,
  /** Question rows repeated exactly, and repeated with a different answer. */
  questionRepeat: 0.004,
  questionConflict: 0.003,
  /** Checklist size per organization: base + (i * 5) mod spread questions; some verifications skip 1-3 of the last ones. */
  checklistBase: 24,
  checklistSpread: 9,
  checklistSkip: 0.3,
  /** Probability that a non-conforming answer raises an action (critical, other). */
  actionCritical: 0.6,
  actionOther: 0.3,
  actionRepeat: 0.01,
  actionWithoutVerification: 0.04,
  actionNoDueDate: 0.07,
  /** Due date: created day + minDue + u^1.5 * dueSpread days. */
  minDueDays: 2,
  dueSpreadDays: 58,
  /** Days to close: u^2 * closeSpread; some are never closed. */
  neverClosed: 0.06,
  closeSpreadDays: 75,
  cancelled: 0.1,
  inProgress: 0.45,
  /** Closed status without CLOSED_AT (a source anomaly). */
  closedWithoutClosedAt: 0.01,
} as const;

export const RESPONSIBLES = [
  'Ana Souza',
  'Bruno Lima',
  'Carla Mendes',
  'Diego Rocha',
  'Elisa Castro',
  'Fábio Nunes',
  'Gabriela Dias',
  'Heitor Alves',
  'Isabela Prado',
  'João Pereira',
  'Larissa Melo',
  'Marcos Teixeira',
  'Natália Ramos',
] as const;

export const ACTION_TYPES = ['CORRETIVA', 'TREINAMENTO', 'MANUTENCAO', 'LIMPEZA', 'REPOSICAO'] as const;
