/** A small, valid set of source rows around 2026-11-29 for service tests. */
import { addDays, daysBetween, parseIsoDate, type IsoDate } from '../../src/dates.js';
import type { SourceRows } from './duckdb-fixture.js';

const DEMO_DATE = parseIsoDate('2026-11-29');
const ISO_PREFIX = /^\d{4}-\d{2}-\d{2}/;

export const DEMO_SOURCES: SourceRows = {
  verifications: [
    ['V1', 'O1', 'L1', '2026-11-29 08:00:00'],
    ['V2', 'O1', 'L2', '2026-11-27 08:00:00'],
    ['V3', 'O2', 'L3', '2026-10-15 08:00:00'],
  ],
  questions: [
    ['V1', 'Q1', true, true],
    ['V1', 'Q2', false, false],
    ['V2', 'Q1', true, false],
    ['V3', 'Q1', false, true],
  ],
  actions: [
    ['A1', 'O1', 'L1', 'V1', 'ana', 'corretiva', 'ABERTA', '2026-11-20', '2026-09-01 00:00:00', null],
    ['A2', 'O1', 'L1', 'V1', 'bia', 'corretiva', 'EM_ANDAMENTO', null, '2026-09-02 00:00:00', null],
    ['A3', 'O1', 'L1', null, null, null, 'CONCLUIDA', null, '2026-09-02 00:00:00', '2026-10-01 00:00:00'],
  ],
};

/** The same rows moved in time so that DEMO_SOURCES' 2026-11-29 falls on `date` (for tests that must run on the real clock). */
export function demoSourcesOn(date: IsoDate): SourceRows {
  const shift = daysBetween(DEMO_DATE, date);
  const moved = <T>(row: T[]): T[] =>
    row.map((v) => (typeof v === 'string' && ISO_PREFIX.test(v) ? ((addDays(v.slice(0, 10) as IsoDate, shift) + v.slice(10)) as T) : v));
  return {
    verifications: DEMO_SOURCES.verifications?.map(moved) as SourceRows['verifications'],
    questions: DEMO_SOURCES.questions,
    actions: DEMO_SOURCES.actions?.map(moved) as SourceRows['actions'],
  };
}
