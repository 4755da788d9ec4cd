/**
 * DuckDB file faults, through the CLI and the service: a damaged file is
 * named as such (never "run demo seed") and fails validation; a full disk is
 * a transient failure; a missing file is refused (and never created) outside
 * `init`; a file held by another process at start-up is waited for.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { WarehouseError } from '../../src/errors.js';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import { runInline } from '../../src/tasks/run-inline.js';
import { classify } from '../../src/workers/factory.js';
import { BIN, ROOT, runCli } from '../support/cli.js';
import { createFixture, type Fixture } from '../support/duckdb-fixture.js';
import { cleanupPrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { startTestService, type TestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { waitFor } from '../support/wait.js';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
const S = 'hs_franquia.gold_connect_bot';

let fixture: Fixture | undefined;
let svc: TestService | undefined;
afterEach(async () => {
  await svc?.stop();
  await fixture?.cleanup();
  svc = undefined;
  fixture = undefined;
});

/** A published day on a file with a large actions view (its data spans many blocks). */
async function publishedFile(): Promise<Fixture> {
  const f = (fixture = await createFixture());
  await f.setSources(DEMO_SOURCES);
  // Closed without CLOSED_AT: never open (the snapshot stays small), but every one is read by validation's anomaly count.
  await f.warehouse.execute({
    sql: `INSERT INTO ${S}.vw_crm_action SELECT md5(range::VARCHAR), 'O9', 'L9', NULL, NULL, NULL, 'CONCLUIDA', NULL, TIMESTAMP '2026-01-01', NULL FROM range(300000)`,
  });
  await runInline(f.ctx, f.config, { date: D, tables: TABLE_NAMES, tasks: ['refresh'] });
  await f.warehouse.close();
  return f;
}

function overwrite(path: string, at: number, bytes: number): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(bytes, 0x55), 0, bytes, at);
  closeSync(fd);
}

const oneLine = (stderr: string): string[] => stderr.trim().split('\n');

describe('DuckDB file faults', () => {
  test.each([
    ['a corrupt header', (p: string) => overwrite(p, 0, 64)],
    ['a truncated file', (p: string) => truncateSync(p, Math.floor(statSync(p).size / 3))],
  ])('%s: run and validate name the damaged file, exit 1, never "demo seed"', async (_name, damage) => {
    const f = await publishedFile();
    damage(f.path);
    for (const args of [
      ['run', '--inline', '--date', D],
      ['validate', '--date', D],
    ]) {
      const r = await runCli(args, { DUCKDB_PATH: f.path, LOG_LEVEL: 'silent', REDIS_URL: 'redis://127.0.0.1:1' });
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(
        new RegExp(`error: DuckDB file ${f.path} is damaged \\(.+\\): stop the service, restore the file from a backup`),
      );
      expect(r.stderr).not.toMatch(/demo seed|not found/);
    }
  });

  test('a data block failing its checksum fails validate (exit 1), which passed before', async () => {
    const f = await publishedFile();
    const env = { DUCKDB_PATH: f.path, LOG_LEVEL: 'silent' };
    expect((await runCli(['validate', '--date', D], env)).code).toBe(0);
    // Spots across the data blocks (most of the file is the large view's data).
    const size = statSync(f.path).size;
    for (let at = 0.2; at < 0.95; at += 0.1) overwrite(f.path, Math.floor(size * at), 1000);
    const r = await runCli(['validate', '--date', D], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is damaged \(IO Error: Corrupt database file: computed checksum .* does not match stored checksum/);
  });

  test('a missing file: run, validate and a worker refuse in one line naming DUCKDB_PATH, and create nothing; init creates it', async () => {
    const f = (fixture = await createFixture());
    await f.warehouse.close();
    const path = join(f.dir, 'typo.duckdb');
    const prefix = uniquePrefix();
    try {
      for (const args of [
        ['run', '--inline', '--date', D],
        ['validate', '--date', D],
        ['start', '--roles', 'worker'],
      ]) {
        const r = await runCli(args, { DUCKDB_PATH: path, LOG_LEVEL: 'silent', REDIS_URL, QUEUE_PREFIX: prefix, PORT: '0' });
        expect(r.code).toBe(2);
        expect(oneLine(r.stderr)).toEqual([
          `error: DUCKDB_PATH='${path}' does not exist: run 'crm-materializer init' (or 'crm-materializer demo seed') to create it, or set DUCKDB_PATH to the existing database file`,
        ]);
        expect(existsSync(path)).toBe(false);
      }
      expect((await runCli(['init'], { DUCKDB_PATH: path })).code).toBe(0);
      expect(existsSync(path)).toBe(true);
    } finally {
      await cleanupPrefix(prefix);
    }
  });

  test('a deleted file turns /readyz red', async () => {
    svc = await startTestService({ sources: DEMO_SOURCES });
    const readyz = async () => fetch(`http://127.0.0.1:${svc!.service.port}/readyz`);
    expect((await readyz()).status).toBe(200);
    rmSync(svc.fixture.path);
    const r = await readyz();
    expect(r.status).toBe(503);
    expect(((await r.json()) as { checks: Record<string, string> }).checks.warehouse_file).toMatch(
      /DUCKDB_PATH='.*crm.duckdb' does not exist: run 'crm-materializer init'/,
    );
  });

  test('a file held by another process at start-up: the worker logs, waits, and starts once it is released', async () => {
    const f = await publishedFile();
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { DuckDBInstance } from '@duckdb/node-api'; await DuckDBInstance.create(${JSON.stringify(f.path)}); console.log('held'); setInterval(() => {}, 1000);`,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let held = '';
    holder.stdout.on('data', (d: Buffer) => (held += d.toString()));
    const prefix = uniquePrefix();
    const worker = spawn(process.execPath, [BIN, 'start', '--roles', 'worker'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DUCKDB_PATH: f.path, REDIS_URL, QUEUE_PREFIX: prefix, PORT: '0', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    worker.stdout.on('data', (d: Buffer) => (out += d.toString()));
    worker.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await waitFor('the holder to hold the file', () => Promise.resolve(held.includes('held') || undefined));
      await waitFor('a log line saying it waits', () =>
        Promise.resolve(err.includes('database file held by another process: waiting for it') || undefined),
      );
      expect(worker.exitCode).toBeNull();
      holder.kill('SIGKILL');
      await waitFor('the worker to start', () => Promise.resolve(out.includes('crm-materializer is running') || undefined), 30_000);
      const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      holder.kill('SIGKILL');
      worker.kill('SIGKILL');
      await cleanupPrefix(prefix);
    }
  });

  test('disk full: the refresh fails as transient (retried) with a clear message, and publishes once space is back', async (ctx) => {
    const f = (fixture = await createFixture());
    await f.setSources(DEMO_SOURCES);
    for (const s of f.sql.init()) await f.warehouse.execute(s);
    await f.warehouse.close();
    const mnt = join(f.dir, 'small');
    mkdirSync(mnt);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
    if (mounted.status !== 0) {
      ctx.skip(
        `cannot mount a small tmpfs here (${mounted.stderr.toString().trim() || 'not permitted'}): the disk-full case needs root and mount`,
      );
      return;
    }
    const path = join(mnt, 'crm.duckdb');
    // Kept open: the disk fills under a running engine, as in production.
    const warehouse = new DuckDbWarehouse({ path, catalog: f.config.catalog, idleCloseMs: 60_000 });
    try {
      copyFileSync(join(f.dir, 'crm.duckdb'), path);
      await warehouse.query({ sql: 'SELECT 1 AS ok' });
      const filler = join(mnt, 'filler');
      for (;;) {
        try {
          appendFileSync(filler, Buffer.alloc(16 * 1024));
        } catch {
          break;
        }
      }
      const ctxFull = { ...f.ctx, warehouse };
      const summary = await runInline(ctxFull, f.config, { date: parseIsoDate('2026-11-30'), tables: TABLE_NAMES, tasks: ['refresh'] });
      const failed = summary.outcomes.find((o) => !o.ok);
      expect(failed?.error).toMatch(
        new RegExp(`no space left on the disk of DuckDB file ${path}: free space there \\(the task is retried; nothing was published\\)`),
      );
      const error = await warehouse
        .executeAtomic(
          f.sql.refresh('crm_actions_open_snapshot', { from: parseIsoDate('2026-11-30'), to: parseIsoDate('2026-11-30') }, new Date()),
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WarehouseError);
      expect((error as WarehouseError).transient).toBe(true);
      expect(classify(error).name).not.toBe('UnrecoverableError');
      rmSync(filler);
      await warehouse.close();
      expect((await runInline(ctxFull, f.config, { date: parseIsoDate('2026-11-30'), tables: TABLE_NAMES, tasks: ['refresh'] })).ok).toBe(
        true,
      );
    } finally {
      await warehouse.close();
      spawnSync('umount', ['-l', mnt]);
    }
  });
});
