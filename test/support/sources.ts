/** A small, valid set of source rows around 2026-11-29 for service tests. */
import type { SourceRows } from './duckdb-fixture.js';

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
