/** Bounded answers: a metrics range over API_METRICS_MAX_ROWS is refused with a problem saying how to ask for it in parts; the parts are answered. */
import { afterEach, describe, expect, test } from 'vitest';
import { apiGet, runThroughQueue } from '../support/api.js';
import { startTestService, type TestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
const started: TestService[] = [];
afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.stop();
});

describe('metrics row cap', () => {
  test('over API_METRICS_MAX_ROWS: 400 naming the last day that fits; the parts it names are answered', async () => {
    const s = await startTestService({ roles: ['web', 'worker'], sources: DEMO_SOURCES, env: { API_METRICS_MAX_ROWS: '1' } });
    started.push(s);
    await runThroughQueue(s, D);
    const whole = await apiGet(s, `/metrics?from=2026-11-23&to=${D}&organization_id=O1`);
    expect(whole.status).toBe(400);
    expect(whole.body).toMatchObject({
      type: 'urn:crm-materializer:problem:bad-parameter',
      parameter: 'to',
      detail:
        'the range has 2 rows, over API_METRICS_MAX_ROWS (1): ask for from=2026-11-27&to=2026-11-28, then from=2026-11-29 onwards, or filter by organization_id or location_id',
    });
    const part1 = await apiGet(s, '/metrics?from=2026-11-27&to=2026-11-28&organization_id=O1');
    const part2 = await apiGet(s, `/metrics?from=2026-11-29&to=${D}&organization_id=O1`);
    expect([part1.status, part2.status]).toEqual([200, 200]);
    expect([...part1.body.rows, ...part2.body.rows].map((r) => [r.data_referencia, r.location_id])).toEqual([
      ['2026-11-27', 'L2'],
      [D, 'L1'],
    ]);
    // Refused again, the same way, without being cached as an answer.
    expect((await apiGet(s, `/metrics?from=2026-11-23&to=${D}&organization_id=O1`)).status).toBe(400);
  });
});
