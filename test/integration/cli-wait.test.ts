/** Waiting on queued work from the CLI (a child process) against a running service: exit codes, JSON, readable forced-run ids. */
import { userInfo } from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { parsePayload } from '../../src/queue/jobs.js';
import { runCli } from '../support/cli.js';
import { REDIS_URL } from '../support/redis.js';
import { startTestService, type TestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';

const D = '2026-11-29';
const S = 'hs_franquia.gold_connect_bot';
let svc: TestService;
let env: Record<string, string>;

beforeAll(async () => {
  // The CLI in child processes runs on the system clock: so does the service here, or run durations would mix clocks.
  svc = await startTestService({ sources: DEMO_SOURCES, clock: systemClock });
  env = { REDIS_URL, QUEUE_PREFIX: svc.prefix, DUCKDB_PATH: svc.fixture.path, BACKFILL_CHUNK_DAYS: '3', COLUMNS: '100' };
});
afterAll(() => svc.stop());

/** A source view goes missing (every refresh reading it fails, unretried) until restored. */
const hideActions = () => svc.service.runtime.warehouse.execute({ sql: `ALTER TABLE ${S}.vw_crm_action RENAME TO vw_crm_action_away` });
const restoreActions = () => svc.service.runtime.warehouse.execute({ sql: `ALTER TABLE ${S}.vw_crm_action_away RENAME TO vw_crm_action` });

describe('run, status: exit codes by outcome', () => {
  test('status exits 0 before any run; run --wait 0; a failed forced re-run D#2 exits 1 and so does status; the next one D#3 clears it', async () => {
    expect((await runCli(['status'], env)).code).toBe(0);
    const first = await runCli(['run', '--date', D, '--wait'], env);
    expect(first.stdout).toContain(`run ${D} succeeded`);
    expect(first.code).toBe(0);
    expect((await runCli(['status'], env)).code).toBe(0);

    await hideActions();
    const failed = await runCli(['run', '--date', D, '--force', '--operator', 'jane.doe', '--wait', '--json'], env).finally(restoreActions);
    expect(failed.code).toBe(1);
    const report = JSON.parse(failed.stdout) as {
      runId: string;
      added: boolean;
      outcome: string;
      tasks: { id: string; state: string; error?: string }[];
    };
    expect(report).toMatchObject({ runId: `${D}#2`, added: true, outcome: 'failure' });
    const snapshot = report.tasks.find((t) => t.id === `refresh__crm_actions_open_snapshot__${D}#2`);
    expect(snapshot?.state).toBe('failed');
    expect(snapshot?.error).toContain('vw_crm_action');
    const status = await runCli(['status'], env);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(new RegExp(`latest run: ${D}#2 \\(D ${D}\\) failure at \\S+ \\S+ [+-]\\d{2}:\\d{2}`));
    for (const line of status.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
    expect(status.stdout).toContain('…');
    expect(JSON.parse((await runCli(['status', '--json'], env)).stdout)).toMatchObject({
      latestRun: { runId: `${D}#2`, outcome: 'failure' },
    });

    const fixed = await runCli(['run', '--date', D, '--force', '--wait'], env);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain(`run ${D}#3 queued`);
    expect((await runCli(['status'], env)).code).toBe(0);
  });

  test('forced-run numbers are allocated once each, also when asked for at once; the ids pass payload validation', async () => {
    const { state } = svc.service.runtime;
    const ids = await Promise.all(Array.from({ length: 5 }, () => state.nextForcedRunId('2026-10-01', 60)));
    expect([...ids].sort()).toEqual(['2026-10-01#2', '2026-10-01#3', '2026-10-01#4', '2026-10-01#5', '2026-10-01#6']);
    expect(parsePayload('retention', { runId: ids[0], date: '2026-10-01', table: 'crm_metrics_daily' }).ok).toBe(true);
    expect(parsePayload('retention', { runId: '2026-10-01:2', date: '2026-10-01', table: 'crm_metrics_daily' }).ok).toBe(false);
  });
});

describe('backfill --wait', () => {
  test('follows every chunk and exits 0 when all succeed; --json gives each chunk its outcome', async () => {
    const r = await runCli(['backfill', '--from', '2026-11-01', '--to', '2026-11-05', '--wait'], env);
    expect(r.stdout).toMatch(/bf_2026-11-01_2026-11-03: \d+\/\d+ tasks settled|bf_2026-11-01_2026-11-03: succeeded/);
    expect(r.stdout).toContain('bf_2026-11-04_2026-11-05: succeeded');
    expect(r.stdout).toContain('backfill 2026-11-01..2026-11-05 succeeded: 2 chunk(s)');
    expect(r.code).toBe(0);
    // Planned before: nothing added, the recorded outcomes are reported.
    const again = await runCli(['backfill', '--from', '2026-11-01', '--to', '2026-11-05', '--wait', '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      outcome: 'success',
      chunks: [
        { runId: 'bf_2026-11-01_2026-11-03', added: false, outcome: 'success' },
        { runId: 'bf_2026-11-04_2026-11-05', added: false, outcome: 'success' },
      ],
    });
  });

  test('exits 1 naming the failed chunks when a chunk fails', async () => {
    await hideActions();
    try {
      const r = await runCli(
        ['backfill', '--from', '2026-10-10', '--to', '2026-10-12', '--tables', 'crm_actions_open_snapshot', '--wait'],
        env,
      );
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        /^bf_2026-10-10_2026-10-12: failed\n {2}refresh__crm_actions_open_snapshot__bf_2026-10-10_2026-10-12__2026-10-10 failed \(source view vw_c.*…$/m,
      );
      expect(r.stdout).toContain('backfill 2026-10-10..2026-10-12 failed: 1 of 1 chunk(s) (bf_2026-10-10_2026-10-12)');
    } finally {
      await restoreActions();
    }
  });

  test('--dry-run --json prints the plan and queues nothing', async () => {
    const r = await runCli(['backfill', '--from', '2026-08-01', '--to', '2026-08-04', '--dry-run', '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      dryRun: true,
      chunks: [{ runId: 'bf_2026-08-01_2026-08-03' }, { runId: 'bf_2026-08-04_2026-08-04' }],
    });
    expect(await svc.service.runtime.state.run('bf_2026-08-01_2026-08-03')).toBeUndefined();
  });
});

describe('runs', () => {
  test('lists the runs of a date newest first with trigger and operator; show gives each task its outcome, attempts, duration and error', async () => {
    const list = await runCli(['runs', '--date', D, '--json'], env);
    expect(list.code).toBe(0);
    const runs = JSON.parse(list.stdout) as {
      runId: string;
      kind: string;
      outcome: string;
      seconds: number;
      trigger: string;
      operator: string;
    }[];
    expect(runs.map((r) => [r.runId, r.kind, r.outcome])).toEqual([
      [`${D}#3`, 'forced', 'success'],
      [`${D}#2`, 'forced', 'failure'],
      [D, 'daily', 'success'],
    ]);
    // The CLI's operator: --operator, else the OS user running it.
    expect(runs.map((r) => [r.trigger, r.operator])).toEqual([
      ['forced', userInfo().username],
      ['forced', 'jane.doe'],
      ['manual', userInfo().username],
    ]);
    expect((await runCli(['runs', '--date', D], env)).stdout).toMatch(
      new RegExp(`^${D}#2\\s+forced\\s+${D}\\s+forced by jane\\.doe\\s`, 'm'),
    );
    expect(runs.every((r) => r.seconds >= 0)).toBe(true);
    const text = await runCli(['runs', '--limit', '2'], env);
    expect(text.stdout.split('\n').slice(2).filter(Boolean)).toHaveLength(2);

    const show = await runCli(['runs', 'show', `${D}#2`], env);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`^run ${D}#2 \\(forced\\) for D ${D}: failure$`, 'm'));
    expect(show.stdout).toMatch(/^trigger: forced by jane\.doe$/m);
    expect(show.stdout).toMatch(/^planned \S+ \S+ \S+, started \S+ \S+ \S+, finished /m);
    // A missing view fails at once: one attempt; nobody retried it on the board.
    expect(show.stdout).toMatch(/^refresh\s+crm_actions_open_snapshot\s+2026-11-29\s+failure\s+1\s+-\s+\d+\.\d\s+-$/m);
    expect(show.stdout).toMatch(/^refresh\s+crm_metrics_daily\s+2026-11-29\s+success\s+1\s+-\s+\d+\.\d\s+\d+$/m);
    expect(show.stdout).toMatch(/^errors:\n {2}refresh crm_actions_open_snapshot 2026-11-29: source view vw_crm_action not found/m);
    const json = JSON.parse((await runCli(['runs', 'show', `${D}#2`, '--json'], env)).stdout) as {
      tasks: { task: string; table: string; outcome: string }[];
    };
    expect(
      json.tasks
        .filter((t) => t.outcome === 'failure')
        .map((t) => `${t.task} ${t.table}`)
        .sort(),
    ).toEqual(['refresh crm_action_priorities_daily', 'refresh crm_actions_open_snapshot']);
  });

  test('an unknown run id: one line naming it and how to list runs, exit 2', async () => {
    const r = await runCli(['runs', 'show', 'nope'], env);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      "error: run 'nope' is not recorded (or older than RUNS_KEEP_DAYS=90): list the runs with 'crm-materializer runs'",
    );
  });
});
