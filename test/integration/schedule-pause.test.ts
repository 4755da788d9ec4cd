/** Pausing the schedule: kept across restarts, ticks and catch-up plan nothing, resume catches up; the CLI as operators use it. */
import { afterEach, describe, expect, test } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { pauseSchedule, resumeSchedule } from '../../src/producer/pause.js';
import { runCli } from '../support/cli.js';
import { metricValue } from '../support/metrics.js';
import { REDIS_URL } from '../support/redis.js';
import { startTestService, TEST_NOW, type TestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { waitForState } from '../support/wait.js';

const D = '2026-11-29';
/** 07:00 in São Paulo: today's 06:00 tick has passed. */
const AFTER_TICK = '2026-11-29T10:00:00Z';
const silent = createLogger('silent');
const services: TestService[] = [];
afterEach(async () => {
  for (const s of services.splice(0).reverse()) await s.stop();
});

async function start(opts: { reuse?: TestService; at?: string } = {}): Promise<TestService> {
  const s = await startTestService({
    sources: DEMO_SOURCES,
    roles: ['scheduler', 'worker', 'web'],
    clock: fixedClock(opts.at ?? TEST_NOW),
    reuse: opts.reuse,
  });
  services.push(s);
  return s;
}
const cliEnv = (s: TestService): Record<string, string> => ({
  REDIS_URL,
  QUEUE_PREFIX: s.prefix,
  DUCKDB_PATH: s.fixture.path,
  SCHEDULE_TZ: 'America/Sao_Paulo',
});
const scrape = async (s: TestService): Promise<string> => (await fetch(`http://127.0.0.1:${s.service.port}/metrics`)).text();

describe('schedule pause and resume', () => {
  test('a pause survives a restart: the start-up catch-up and the ticks plan nothing; status and /metrics show it', async () => {
    const first = await start();
    const paused = await runCli(['schedule', 'pause', '--reason', 'source migration', '--operator', 'alice'], {
      ...cliEnv(first),
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'pretty',
    });
    expect(paused.code).toBe(0);
    // The audit log, readable: who paused and why.
    expect(paused.stderr).toMatch(
      /^\[\d{2}:\d{2}:\d{2}\.\d{3}Z\] INFO: schedule paused \{"audit":true,"operator":"alice","action":"schedule pause","reason":"source migration","changed":true\}$/m,
    );
    expect(paused.stdout).toMatch(/^schedule paused since \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} -03:00 by alice \(source migration\)/);
    const again = await runCli(['schedule', 'pause', '--operator', 'bob'], cliEnv(first));
    expect(again.stdout).toMatch(/schedule was paused already since .* by alice \(source migration\): nothing changed/);
    await first.stopService();

    // Restarted after today's tick: the catch-up would plan today's run, but the schedule is paused.
    const second = await start({ reuse: first, at: AFTER_TICK });
    services.splice(services.indexOf(first), 1);
    const { state, queues } = second.service.runtime;
    expect(second.service.caughtUp).toBeUndefined();
    expect(await state.schedulePause()).toMatchObject({ by: 'alice', reason: 'source migration' });

    // A tick of today's schedule: completed, nothing planned.
    await queues.schedule.add('plan', {}, { jobId: 'tick-while-paused', timestamp: Date.parse('2026-11-29T09:00:00Z') });
    const tick = await waitForState(queues.schedule, 'tick-while-paused', ['completed', 'failed']);
    expect(tick.returnvalue).toEqual({ skipped: 'paused', date: D });
    expect(await state.run(D)).toBeUndefined();
    expect(await queues.validation.getJob(`validation__${D}`)).toBeUndefined();

    const m = await scrape(second);
    expect(metricValue(m, 'crm_scheduler_paused')).toBe(1);
    expect(metricValue(m, 'crm_scheduler_paused_timestamp_seconds')).toBeGreaterThan(0);
    expect(metricValue(m, 'crm_scheduler_pause_alert_seconds')).toBe(24 * 3600);
    const status = await runCli(['status'], cliEnv(second));
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/PAUSED since \S+ \S+ -03:00 by alice: source migration/);
    expect(status.stdout).toMatch(/next ticks \(skipped while paused\): \d{4}-\d{2}-\d{2} 06:00:00 -03:00/);

    const resumed = await runCli(['schedule', 'resume', '--no-catch-up', '--operator', 'bob'], { ...cliEnv(second), LOG_LEVEL: 'info' });
    expect(resumed.code).toBe(0);
    // Not a terminal: JSON lines by default.
    const audit = resumed.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit).toContainEqual(
      expect.objectContaining({ msg: 'schedule resumed', audit: true, operator: 'bob', action: 'schedule resume', pausedBy: 'alice' }),
    );
    expect(resumed.stdout).toMatch(/^schedule resumed \(paused since .* by alice\)$/m);
    expect(await state.schedulePause()).toBeUndefined();
    expect(metricValue(await scrape(second), 'crm_scheduler_paused')).toBe(0);
    expect((await runCli(['schedule', 'resume'], cliEnv(second))).stdout).toContain('schedule was not paused: nothing changed');
  });

  test("resuming after today's tick plans today's run once; before the tick it plans nothing", async () => {
    const s = await start();
    const rt = s.service.runtime;
    const deps = (at: string) => ({ ...rt, log: silent, clock: fixedClock(at) });
    expect((await pauseSchedule(deps(TEST_NOW), 'alice')).paused).toBe(true);
    // 05:00 in São Paulo: the tick is still ahead, nothing to catch up.
    expect(await resumeSchedule(deps(TEST_NOW), 'alice', { catchUp: true })).toMatchObject({ ended: { by: 'alice' }, caughtUp: undefined });
    await pauseSchedule(deps(TEST_NOW), 'alice');
    const r = await resumeSchedule(deps(AFTER_TICK), 'bob', { catchUp: true });
    expect(r.caughtUp).toMatchObject({ runId: D, added: true });
    await waitForState(rt.queues.validation, `validation__${D}`, ['completed'], 60_000);
    // The run's record: planned by the catch-up of bob's resume.
    expect(await rt.state.run(D)).toMatchObject({ outcome: 'success', trigger: 'catch-up', operator: 'bob' });
    expect((await resumeSchedule(deps(AFTER_TICK), 'bob', { catchUp: true })).caughtUp).toBeUndefined();
  });

  test.each([
    [['schedule', 'pause', '--operator', 'a b'], /--operator 'a b' is not valid/],
    [['run', '--operator', 'x;y'], /--operator 'x;y' is not valid/],
    [['backfill', '--from', '2026-11-01', '--to', '2026-11-02', '--operator', ''], /--operator '' is not valid/],
    [['schedule', 'pause', '--reason', ' '], /--reason must be 1-500 characters/],
  ])('bad input %j: one line, exit 2', async (args, message) => {
    const r = await runCli(args, { REDIS_URL, QUEUE_PREFIX: '{crmtest-unused}' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
