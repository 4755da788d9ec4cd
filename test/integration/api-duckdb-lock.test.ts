/**
 * The embedded DuckDB read path of a web-only process: another process (the
 * worker's) holds the file. The API retries briefly, then serves its last
 * answer marked stale, or 503 with Retry-After when it has none; it holds
 * the file only while a read runs, so the other process can take it again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import { ROOT } from '../support/cli.js';
import { apiGet, runThroughQueue } from '../support/api.js';
import { startTestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');

/** A process holding the DuckDB file open (read-write: an exclusive lock), as a worker process running a refresh does. */
async function holdFile(path: string): Promise<ChildProcess & { released: Promise<void> }> {
  const script = `import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(${JSON.stringify(path)});
process.stdout.write('open\\n');
process.on('SIGTERM', () => { db.closeSync(); process.exit(0); });
setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the holder exited (${code}): ${err}`)));
  });
  const released = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return Object.assign(child, { released });
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

describe('read API on DuckDB, web process apart from the worker process', () => {
  test('while another process holds the file: stale answer (X-Cache: stale, Warning) or 503 Retry-After; fresh again after', async () => {
    const first = await startTestService({ roles: ['web', 'worker'], sources: DEMO_SOURCES });
    stops.push(() => first.stop());
    await runThroughQueue(first, D);
    const before = await apiGet(first, '/priorities?organization_id=O1');
    expect([before.status, before.headers.get('x-cache'), before.body.total]).toEqual([200, 'miss', 2]);
    await first.stopService();

    const web = await startTestService({ roles: ['web'], reuse: first });
    stops.push(() => web.stopService());
    // The worker process committed a refresh: the cached answers are of the old generation now.
    await web.service.runtime.state.bumpGeneration('crm_action_priorities_daily');
    await web.service.runtime.warehouse.close();
    const holder = await holdFile(first.fixture.path);
    stops.push(async () => {
      if (holder.exitCode === null) holder.kill('SIGKILL');
      await holder.released;
    });

    const t0 = performance.now();
    const stale = await apiGet(web, '/priorities?organization_id=O1');
    const waited = performance.now() - t0;
    expect([stale.status, stale.headers.get('x-cache'), stale.headers.get('warning')]).toEqual([200, 'stale', '110 - "Response is Stale"']);
    expect(stale.body).toEqual(before.body);
    expect(waited).toBeGreaterThan(800); // it retried for about a second before giving up
    expect(waited).toBeLessThan(5_000);

    const none = await apiGet(web, '/priorities?organization_id=O2');
    expect([none.status, none.headers.get('retry-after')]).toEqual([503, '5']);
    expect(none.body.detail).toMatch(/no earlier answer is cached/);
    const m = await (await fetch(`http://127.0.0.1:${web.service.port}/metrics`)).text();
    expect(m).toMatch(/crm_api_cache_total\{result="stale"\} 1/);
    expect(m).toMatch(/crm_api_requests_total\{route="priorities",status="503"\} 1/);

    holder.kill('SIGTERM');
    await holder.released;
    const fresh = await apiGet(web, '/priorities?organization_id=O1');
    expect([fresh.status, fresh.headers.get('x-cache'), fresh.body.total]).toEqual([200, 'miss', 2]);
    // The web process let go of the file after its read: the worker process can open it at once.
    const again = await holdFile(first.fixture.path);
    again.kill('SIGTERM');
    await again.released;
  });
});
