/** `start --demo` while the schedule is paused: it says so and plans no run (an operator paused it on purpose). */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { connectRedis } from '../../src/queue/redis.js';
import { StateStore } from '../../src/state/store.js';
import { BIN, demoEnv, ROOT, runCli } from '../support/cli.js';
import { cleanupPrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

describe('start --demo with the schedule paused', () => {
  const prefix = uniquePrefix();
  const dir = mkdtempSync(join(tmpdir(), 'crm-demo-paused-'));
  const env = demoEnv(prefix, dir);
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await cleanupPrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  test('plans no run for today, says why and how to run it, and still serves', { timeout: 120_000 }, async () => {
    const pause = await runCli(['schedule', 'pause', '--reason', 'source migration', '--operator', 'jane.doe'], env);
    expect(pause.code).toBe(0);
    let stdout = '';
    child = spawn(process.execPath, [BIN, 'start', '--demo'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', () => undefined);
    await waitFor(
      'start --demo to say the schedule is paused',
      () => Promise.resolve(stdout.includes('the schedule is paused') || undefined),
      90_000,
    );
    expect(stdout).toMatch(
      /the schedule is paused \(since .* by jane\.doe \(source migration\)\): today's run is not planned; 'crm-materializer schedule resume' plans it, 'crm-materializer run' runs it now/,
    );
    expect(stdout).not.toMatch(/today's run \S+ is queued/);
    const port = Number(/http:\/\/127\.0\.0\.1:(\d+)\/admin\/queues/.exec(stdout)?.[1]);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    // Nothing was claimed or queued: no run record, no validation job.
    const redis = await connectRedis(REDIS_URL, `${prefix}:test`);
    try {
      expect(await new StateStore(redis, prefix).history.ids()).toEqual([]);
      expect(await redis.keys(`${prefix}:validation:validation__*`)).toEqual([]);
    } finally {
      await redis.quit();
    }
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
