/**
 * No lost day: a run claimed in Redis whose flow was never added (the
 * planner stopped between the two) is found and planned again, by the
 * scheduler's catch-up and by `run`. Reproduced by writing the claim alone.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { fixedClock } from '../../src/clock.js';
import { catchUp } from '../../src/producer/scheduler.js';
import { runCli } from '../support/cli.js';
import { REDIS_URL } from '../support/redis.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { startTestService, type TestService } from '../support/service.js';
import { waitForState } from '../support/wait.js';

const D = '2026-11-29';
let svc: TestService | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

/** The claim a planner writes before adding its flow, as the reproduction writes it. */
async function claimOnly(prefix: string, date: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    await redis.hset(`${prefix}:state:runs`, date, JSON.stringify({ runId: date, date, plannedAt: 1, tracked: true }));
  } finally {
    redis.disconnect();
  }
}

describe('a claim without its flow', () => {
  test('catch-up plans the day again, and the run completes', async () => {
    svc = await startTestService({ sources: DEMO_SOURCES, roles: ['worker'] });
    const { runtime } = svc.service;
    await claimOnly(svc.prefix, D);
    // 09:00 in São Paulo on D: the 06:00 tick has passed.
    const now = new Date(`${D}T12:00:00Z`);
    const planned = await catchUp({ ...runtime, clock: fixedClock(now) });
    expect(planned).toMatchObject({ runId: D, added: true, repaired: true });
    await waitForState(runtime.queues.validation, `validation__${D}`, ['completed']);
    expect(await runtime.state.run(D)).toMatchObject({ outcome: 'success', plannedAt: 1 });
    // Planned once: a second catch-up finds the run intact.
    expect(await catchUp({ ...runtime, clock: fixedClock(now) })).toBeUndefined();
  });

  test('`run` re-plans it instead of saying it was queued before, and --wait sees it succeed', async () => {
    svc = await startTestService({ sources: DEMO_SOURCES, roles: ['worker'] });
    await claimOnly(svc.prefix, D);
    const r = await runCli(['run', '--date', D, '--wait'], { REDIS_URL, QUEUE_PREFIX: svc.prefix, DUCKDB_PATH: svc.fixture.path });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`run ${D} had been claimed but its jobs were never added (an interrupted planning): queued now`);
    expect(r.code).toBe(0);
    const again = await runCli(['run', '--date', D], { REDIS_URL, QUEUE_PREFIX: svc.prefix, DUCKDB_PATH: svc.fixture.path });
    expect(again.stdout).toContain(`run ${D} was queued before: nothing added`);
  });
});
