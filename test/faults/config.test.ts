/**
 * Configuration that cannot hurt: a seconds field or a schedule firing more
 * than hourly, and an empty QUEUE_PREFIX, stop the CLI with one line (exit 2);
 * job history is bounded by count as well as by age.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { runCli } from '../support/cli.js';
import { configProblems } from '../support/config.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { startTestService, type TestService } from '../support/service.js';
import { waitFor } from '../support/wait.js';

const D = '2026-11-29';

describe('dangerous configuration is refused', () => {
  test.each([
    [
      { SCHEDULE_CRON: '* * * * * *' },
      `SCHEDULE_CRON='* * * * * *' has 6 fields (a seconds field): use 5 fields (minute hour day month weekday), e.g. "0 6 * * *"`,
    ],
    [{ SCHEDULE_CRON: '0 6 * * * *' }, "SCHEDULE_CRON='0 6 * * * *' has 6 fields (a seconds field)"],
    [
      { SCHEDULE_CRON: '*/5 * * * *' },
      `SCHEDULE_CRON='*/5 * * * *' fires every 5 minute(s): each tick plans today's run, so at most once an hour is allowed`,
    ],
    [{ SCHEDULE_CRON: '0,30 6 * * *' }, "SCHEDULE_CRON='0,30 6 * * *' fires every 30 minute(s)"],
    [{ QUEUE_PREFIX: '' }, "QUEUE_PREFIX is set but empty: set a value or unset it for the default '{crm}'"],
    [{ QUEUE_PREFIX: '  ' }, 'QUEUE_PREFIX is set but empty'],
    [{ KEEP_COMPLETED_JOBS: '0' }, "KEEP_COMPLETED_JOBS='0' must be a whole number from 100 to 1000000"],
  ])('%o: one line on stderr, exit 2', async (env, message) => {
    expect(configProblems(env)).toContain(message);
    const r = await runCli(['status'], env);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });

  test.each(['0 6 * * *', '0 * * * *', '30 5 * * 1-5', '0 6 1 * *'])('%s is accepted', (cron) => {
    expect(loadConfig({ SCHEDULE_CRON: cron }).scheduleCron).toBe(cron);
  });
});

describe('job history', () => {
  let svc: TestService | undefined;
  afterEach(async () => {
    await svc?.stop();
    svc = undefined;
  });

  test('completed jobs beyond KEEP_COMPLETED_JOBS are removed, however young', async () => {
    svc = await startTestService({ sources: DEMO_SOURCES, env: { KEEP_COMPLETED_JOBS: '100' } });
    const { queues } = svc.service.runtime;
    const jobs = Array.from({ length: 105 }, (_, i) => ({
      name: 'retention',
      data: { runId: `r${i}`, date: D, table: 'crm_metrics_daily' as const },
    }));
    await queues.retention.addBulk(jobs);
    const total = await waitFor(
      'every retention job to be processed',
      async () => {
        const counts = await queues.retention.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
        return counts.waiting === 0 && counts.active === 0 && counts.delayed === 0 ? counts : undefined;
      },
      60_000,
    );
    expect(total.failed).toBe(0);
    expect(total.completed).toBe(100);
  });
});
