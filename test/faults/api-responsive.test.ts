/**
 * The read API stays responsive while a refresh runs in the same process
 * (web + worker on the embedded DuckDB): with the refresh held mid-way (its
 * replace waits for the test) and the API's own warehouse reads held too,
 * /healthz answers, requests beyond API_MAX_IN_FLIGHT get 503 with
 * Retry-After at once, and the ones under the cap are served. Closing an
 * idle DuckDB file after a refresh does not hold the event loop either.
 */
import { existsSync, statSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { enqueueRun, runIdFor } from '../../src/producer/planner.js';
import { jobIds } from '../../src/queue/jobs.js';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { engineThreadsBesideApi } from '../../src/warehouse/duckdb-threads.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { apiGet, type ApiAnswer } from '../support/api.js';
import { createFixture } from '../support/duckdb-fixture.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { startTestService, type TestService } from '../support/service.js';
import { waitFor, waitForState } from '../support/wait.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
let svc: TestService | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

/** Callers wait at the gate until the test opens it; `waiting` counts who arrived. */
class Gate {
  waiting = 0;
  private release: () => void = () => undefined;
  private readonly opened = new Promise<void>((r) => (this.release = r));
  constructor(private isOpen = false) {}
  async pass(): Promise<void> {
    this.waiting += 1;
    if (!this.isOpen) await this.opened;
  }
  open(): void {
    this.isOpen = true;
    this.release();
  }
}

/** The real engine, with each refresh's replace held at `refresh` and the read API's queries at `reads`. */
function holding(refresh: Gate, reads: Gate) {
  return (w: Warehouse): Warehouse => ({
    engine: w.engine,
    execute: (s, o) => w.execute(s, o),
    close: () => w.close(),
    query: async (s, o) => {
      if (o?.tag?.task === 'api') await reads.pass();
      return w.query(s, o);
    },
    executeAtomic: async (s, o) => {
      if (o?.tag?.task === 'refresh') await refresh.pass();
      return w.executeAtomic(s, o);
    },
  });
}

const get = async (s: TestService, path: string): Promise<Response> => fetch(`http://127.0.0.1:${s.service.port}${path}`);

describe('API responsive during a refresh', () => {
  test('refresh held mid-way: /healthz answers, requests past API_MAX_IN_FLIGHT get 503 + Retry-After, the ones under it are served', async () => {
    const refresh = new Gate();
    const reads = new Gate();
    svc = await startTestService({
      sources: DEMO_SOURCES,
      env: { API_MAX_IN_FLIGHT: '2', API_RATE_LIMIT_PER_MINUTE: '0' },
      wrap: holding(refresh, reads),
    });
    const s = svc;
    const { flows, state, queues } = s.service.runtime;
    const runId = await runIdFor(state, s.config, D, TABLE_NAMES, false);
    await enqueueRun(flows, state, s.config, { runId, date: D, tables: TABLE_NAMES, retention: true });
    await waitFor('a refresh to reach its replace', () => Promise.resolve(refresh.waiting >= 1));

    // Two reads in flight (cache misses whose warehouse queries are held): the cap is reached.
    const held: Promise<ApiAnswer>[] = [apiGet(s, `/metrics?from=${D}&to=${D}`), apiGet(s, `/priorities?date=${D}`)];
    await waitFor('two API reads to reach the warehouse', () => Promise.resolve(reads.waiting === 2));

    const health = await get(s, '/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await get(s, '/metrics')).status).toBe(200);

    for (const path of [`/actions?date=${D}`, '/freshness']) {
      const refused = await apiGet(s, path);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body.detail).toBe('the read API is serving 2 requests at once (API_MAX_IN_FLIGHT): retry after 1 s');
    }
    expect(reads.waiting).toBe(2); // refused before reaching the warehouse

    reads.open();
    for (const answer of await Promise.all(held)) expect(answer.status).toBe(200);
    // Under the cap again, with the refresh still held.
    expect(refresh.waiting).toBeGreaterThanOrEqual(1);
    expect((await apiGet(s, `/actions?date=${D}`)).status).toBe(200);
    expect((await apiGet(s, '/freshness')).status).toBe(200);
    expect((await queues.validation.getJob(jobIds.validation(runId)))?.finishedOn).toBeUndefined();

    refresh.open();
    await waitForState(queues.validation, jobIds.validation(runId), ['completed']);
    expect((await apiGet(s, `/priorities?date=${D}`)).status).toBe(200);
  });

  test('API_MAX_IN_FLIGHT=0: no cap', async () => {
    const reads = new Gate();
    svc = await startTestService({ env: { API_MAX_IN_FLIGHT: '0', API_RATE_LIMIT_PER_MINUTE: '0' }, wrap: holding(new Gate(true), reads) });
    const s = svc;
    const held = [1, 2, 3].map((i) => apiGet(s, `/metrics?from=2026-11-0${i}&to=${D}`));
    await waitFor('three API reads to reach the warehouse', () => Promise.resolve(reads.waiting === 3));
    reads.open();
    for (const answer of await Promise.all(held)) expect([answer.status, answer.body.detail]).toEqual([200, undefined]);
  });
});

describe('engine threads beside the API', () => {
  test('every core but one, at least one', () => {
    expect([1, 2, 8].map((n) => engineThreadsBesideApi(n))).toEqual([1, 1, 7]);
  });

  test('the DuckDB instance runs with the threads it was given', async () => {
    const f = await createFixture();
    await f.warehouse.close();
    const w = new DuckDbWarehouse({ path: f.path, catalog: 'hs_franquia', threads: 1 });
    try {
      expect(await w.query({ sql: "SELECT current_setting('threads') AS threads" })).toEqual([{ threads: 1 }]);
    } finally {
      await w.close();
      await f.cleanup();
    }
  });
});

describe('closing an idle DuckDB file', () => {
  test('the WAL is written into the file off the event loop: the loop turns while it closes, and nothing is lost', async () => {
    const f = await createFixture();
    await f.warehouse.close();
    const w = new DuckDbWarehouse({ path: f.path, catalog: 'hs_franquia' });
    try {
      await w.execute({ sql: 'CREATE TABLE hs_franquia.gold_connect_bot.written AS SELECT range AS i FROM range(200000)' });
      let closed = false;
      const closing = w.close().then(() => (closed = true));
      // A synchronous close would finish before any callback of the next loop turn runs.
      await new Promise((r) => setImmediate(r));
      expect(closed).toBe(false);
      await closing;
      expect(existsSync(`${f.path}.wal`) ? statSync(`${f.path}.wal`).size : 0).toBe(0);
      expect(await w.query({ sql: 'SELECT count(*) AS n FROM hs_franquia.gold_connect_bot.written' })).toEqual([{ n: 200000 }]);
    } finally {
      await w.close();
      await f.cleanup();
    }
  });
});
