/** The service as a user runs it: `start --demo` in a child process, the CLI against it, SIGTERM. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BIN, demoEnv, ROOT, runCli } from '../support/cli.js';
import { cleanupPrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

describe('crm-materializer start', () => {
  const prefix = uniquePrefix();
  const dir = mkdtempSync(join(tmpdir(), 'crm-e2e-'));
  const env = demoEnv(prefix, dir);
  let child: ChildProcess;
  let stdout = '';
  let port = 0;

  beforeAll(async () => {
    child = spawn(process.execPath, [BIN, 'start', '--demo'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', () => undefined);
    port = await waitFor(
      'the service to listen',
      () => Promise.resolve(Number(/http:\/\/127\.0\.0\.1:(\d+)\/admin\/queues/.exec(stdout)?.[1] ?? 0) || undefined),
      60_000,
    );
  });
  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await cleanupPrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  test('seeds demo data, prints a board login, and answers its probes', async () => {
    expect(stdout).toContain('seeding the small demo data set');
    const login = /user 'admin', password '([^']+)'/.exec(stdout)?.[1];
    expect(login).toBeDefined();
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/admin/queues`)).status).toBe(401);
    const auth = `Basic ${Buffer.from(`admin:${login}`).toString('base64')}`;
    expect((await fetch(`http://127.0.0.1:${port}/admin/queues`, { headers: { authorization: auth } })).status).toBe(200);
    await waitFor('/readyz', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 30_000);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
  });

  test("today's run completes; `run --wait` queues another date and exits 0 when it succeeds", async () => {
    const today = /today's run (\S+) is queued/.exec(stdout)?.[1];
    expect(today).toBeDefined();
    // start --demo prints the validation table of today's run once it settled.
    await waitFor("the demo run's report", () => Promise.resolve(new RegExp(`run ${today} succeeded`).test(stdout) || undefined), 60_000);
    expect(stdout).toMatch(/tabela\s+registros\s+ultima_data\s+dias_atraso/);
    expect(stdout).toMatch(/crm_actions_open_snapshot\s+\d+\s+\d{4}-\d{2}-\d{2}\s+0\s+\S+\s+ok/);
    const waitToday = await runCli(['run', '--date', today!, '--wait'], env);
    expect(waitToday.stdout).toContain('was queued before');
    expect(waitToday.code).toBe(0);
    const r = await runCli(['run', '--date', '2026-11-28', '--wait'], env);
    expect(r.stdout).toMatch(/run 2026-11-28 queued/);
    expect(r.stdout).toMatch(/refresh__crm_metrics_daily__2026-11-28: completed/);
    expect(r.stdout).toMatch(/run 2026-11-28 succeeded/);
    expect(r.code).toBe(0);
    const status = await runCli(['status', '--json'], env);
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as {
      schedule: { registered: boolean; next: string[] };
      tables: { lastRefresh: { outcome: string } | null }[];
    };
    expect(report.schedule.registered).toBe(true);
    // Times in SCHEDULE_TZ with their offset, like the text output: the 06:00 ticks.
    expect(report.schedule.next[0]).toMatch(/^\d{4}-\d{2}-\d{2}T06:00:00-03:00$/);
    expect(report.tables.every((t) => t.lastRefresh?.outcome === 'success')).toBe(true);
  });

  test('SIGTERM stops it cleanly with exit code 0', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The tables were written: validate them with the process gone (the file is free).
    const v = await runCli(['validate', '--date', '2026-11-28'], env);
    expect(v.stdout).toMatch(/crm_actions_open_snapshot\s+\d+\s+\S+\s+-?\d+/);
  });
});

describe('queue commands: bad input exits 2 and enqueues nothing', () => {
  const prefix = uniquePrefix();
  const env = { REDIS_URL, QUEUE_PREFIX: prefix, DUCKDB_PATH: join(tmpdir(), `crm-none-${prefix}.duckdb`) };
  afterAll(() => cleanupPrefix(prefix));

  test.each([
    ['bad cron', ['start'], { SCHEDULE_CRON: '61 * * * *' }, /SCHEDULE_CRON='61 \* \* \* \*' is not a valid cron pattern/],
    ['unknown time zone', ['start'], { SCHEDULE_TZ: 'America/Atlantis' }, /SCHEDULE_TZ='America\/Atlantis' must be an IANA time zone/],
    ['--from after --to', ['backfill', '--from', '2026-11-10', '--to', '2026-11-01'], {}, /--from 2026-11-10 is after --to 2026-11-01/],
    ['over 730 days', ['backfill', '--from', '2024-01-01', '--to', '2026-01-05'], {}, /covers 736 days \(more than 730\): add --force/],
    ['JOB_ATTEMPTS=0', ['run'], { JOB_ATTEMPTS: '0' }, /JOB_ATTEMPTS='0' must be a whole number from 1 to 100/],
    ['PORT=abc', ['start'], { PORT: 'abc' }, /PORT='abc' must be a whole number from 0 to 65535/],
    ['unknown role', ['start', '--roles', 'worker,cook'], {}, /unknown role 'cook' in --roles/],
    ['--tasks without --inline', ['run', '--tasks', 'refresh'], {}, /--tasks works with --inline/],
    [
      'DUCKDB_PATH under /proc',
      ['start'],
      { DUCKDB_PATH: '/proc/x/crm.duckdb' },
      /DUCKDB_PATH='\/proc\/x\/crm.duckdb' is not usable: cannot create folder \/proc\/x/,
    ],
    [
      'DUCKDB_PATH in a file',
      ['run', '--inline'],
      { DUCKDB_PATH: '/etc/hostname/crm.duckdb' },
      /DUCKDB_PATH='\/etc\/hostname\/crm.duckdb' is not usable: \/etc\/hostname is not a folder/,
    ],
  ])('%s', async (_name, args, extra, message) => {
    const r = await runCli(args, { ...env, ...extra });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    const { openConnections } = await import('../support/redis.js');
    expect(await openConnections(prefix)).toEqual([]);
  });

  test('a busy PORT: one line naming it and the address, before any credential is printed', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as AddressInfo).port;
    try {
      const dir = mkdtempSync(join(tmpdir(), 'crm-busy-'));
      const r = await runCli(['start', '--demo'], {
        ...env,
        DUCKDB_PATH: join(dir, 'crm.duckdb'),
        PORT: String(port),
        LOG_LEVEL: 'silent',
      });
      rmSync(dir, { recursive: true, force: true });
      expect(r.code).toBe(2);
      // (stderr also carries the demo seeder's progress lines before it)
      expect(
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('seeding ')),
      ).toEqual([
        `error: PORT ${port} on 127.0.0.1 is already in use (127.0.0.1:${port}): stop the process using it or set PORT to a free port`,
      ]);
      expect(r.stdout).not.toMatch(/password|API key/);
    } finally {
      busy.close();
    }
  });

  test('unreachable Redis: one line saying how to start it', async () => {
    const r = await runCli(['run'], { ...env, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Redis at redis:\/\/127.0.0.1:1 is unreachable .*: start it \(e.g. redis-server/);
  });

  test('backfill --dry-run prints the plan without Redis', async () => {
    const r = await runCli(['backfill', '--from', '2026-09-01', '--to', '2026-10-30', '--dry-run'], {
      ...env,
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('backfill 2026-09-01..2026-10-30: 2 chunk(s) of up to 31 days, 124 jobs');
    expect(r.stdout).toContain('bf_2026-10-02_2026-10-30  2026-10-02..2026-10-30');
  });
});
