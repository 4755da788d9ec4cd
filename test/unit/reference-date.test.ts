/** Reference dates are bounded: today in SCHEDULE_TZ plus one day, unless a future date is allowed explicitly. */
import { describe, expect, test } from 'vitest';
import { futureDateProblem, latestReferenceDate, parseReferenceDate, parseIsoDate } from '../../src/dates.js';
import { UsageError } from '../../src/errors.js';
import { futurePayloadProblem } from '../../src/queue/jobs.js';

const TZ = 'America/Sao_Paulo';
// 23:30 on 2026-11-29 in São Paulo, already the 30th in UTC.
const LATE = new Date('2026-11-30T02:30:00Z');

describe('reference date bound', () => {
  test('today and tomorrow in the schedule zone are accepted; the day after is not', () => {
    expect(latestReferenceDate(TZ, LATE)).toBe('2026-11-30');
    expect(futureDateProblem(parseIsoDate('2026-11-29'), TZ, LATE)).toBeUndefined();
    expect(futureDateProblem(parseIsoDate('2026-11-30'), TZ, LATE)).toBeUndefined();
    expect(futureDateProblem(parseIsoDate('2026-12-01'), TZ, LATE)).toBe(
      '2026-12-01 is in the future (today is 2026-11-29 in America/Sao_Paulo; at most 2026-11-30 is accepted)',
    );
    expect(futureDateProblem(parseIsoDate('2026-12-01'), 'UTC', LATE)).toBeUndefined();
  });

  test('a flag with a future date is a one-line UsageError naming the flag and the fix; --allow-future accepts it', () => {
    const refuse = () => parseReferenceDate('2099-01-01', TZ, { what: '--to', now: LATE });
    expect(refuse).toThrow(UsageError);
    expect(refuse).toThrow(
      /^--to 2099-01-01 is in the future \(today is 2026-11-29 .*: use a date up to today, or add --allow-future if a future date is intended$/,
    );
    expect(parseReferenceDate('2099-01-01', TZ, { allowFuture: true, now: LATE })).toBe('2099-01-01');
    expect(() => parseReferenceDate('2026-02-30', TZ, { allowFuture: true, now: LATE })).toThrow(/not a real calendar date/);
  });

  test('a job payload for a future date is refused unless it says allowFuture', () => {
    const payload = { runId: 'x', date: parseIsoDate('2099-01-01'), table: 'crm_metrics_daily' as const };
    expect(futurePayloadProblem('retention', payload, TZ, LATE)).toMatch(
      /^invalid retention payload: date 2099-01-01 is in the future .*add "allowFuture": true if a future date is intended$/,
    );
    expect(futurePayloadProblem('retention', { ...payload, allowFuture: true }, TZ, LATE)).toBeUndefined();
    expect(futurePayloadProblem('retention', { ...payload, date: parseIsoDate('2026-11-30') }, TZ, LATE)).toBeUndefined();
    expect(futurePayloadProblem('schedule', {}, TZ, LATE)).toBeUndefined();
  });
});
