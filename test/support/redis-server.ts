/**
 * A redis-server of a test's own on a free port, for the Redis outages:
 * frozen (SIGSTOP: connections stay open, nothing answers), killed, stopped
 * and started again on the same port. `persistent`: an append-only file, as
 * deployed, so a restart keeps the data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './net.js';
import { waitFor } from './wait.js';

export interface PrivateRedis {
  readonly url: string;
  /** Redis is gone (SIGKILL): connections are refused until `start`/`restart`. */
  kill(): Promise<void>;
  /** Kill, then start again on the same port. */
  restart(): Promise<void>;
  /** Start again on the same port (with its data when persistent). */
  start(): Promise<void>;
  /** Redis stops answering: the process is frozen, its connections stay open, its keys' expiry times keep running. */
  freeze(): void;
  thaw(): void;
  /** Stop it (SIGTERM) and wait for it to exit. */
  stop(): Promise<void>;
  /** Stop it and remove its data. */
  remove(): Promise<void>;
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

async function answering(url: string): Promise<void> {
  await waitFor(`the private redis-server at ${url} to answer`, async () => {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  });
}

/** `args`: more redis-server settings (they override the defaults, e.g. `--maxmemory-policy allkeys-lru`). */
export async function startPrivateRedis(opts: { persistent?: boolean; args?: readonly string[] } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'crm-redis-'));
  const durability = opts.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  let running: Running | undefined;
  const start = async (): Promise<void> => {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        ...durability,
        '--maxmemory-policy',
        'noeviction',
        ...(opts.args ?? []),
      ],
      { stdio: 'ignore' },
    );
    running = { child, exited: new Promise<void>((resolve) => child.once('exit', () => resolve())) };
    await answering(url);
  };
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    const r = running;
    running = undefined;
    if (!r || r.child.exitCode !== null) return;
    r.child.kill('SIGCONT'); // a frozen server must run to exit
    r.child.kill(signal);
    await r.exited;
  };
  await start();
  return {
    url,
    kill: () => end('SIGKILL'),
    restart: async () => {
      await end('SIGKILL');
      await start();
    },
    start,
    freeze: () => running?.child.kill('SIGSTOP'),
    thaw: () => running?.child.kill('SIGCONT'),
    stop: () => end('SIGTERM'),
    remove: async () => {
      await end('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
