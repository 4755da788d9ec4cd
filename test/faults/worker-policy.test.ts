/** Attempts and backoff come from the worker's configuration, not from the options a job was queued with. */
import { afterEach, describe, expect, test } from 'vitest';
import { WarehouseError } from '../../src/errors.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { failFirstReplace } from '../support/faults.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { startTestService, type TestService } from '../support/service.js';
import { waitForState } from '../support/wait.js';

const D = '2026-11-29';
const HOUR_MS = 3_600_000;
let svc: TestService | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
});

/** The engine, except that every atomic replace fails with a transient error. */
const replacesFail = (w: Warehouse): Warehouse => ({
  engine: w.engine,
  execute: (s, o) => w.execute(s, o),
  query: (s, o) => w.query(s, o),
  close: () => w.close(),
  executeAtomic: () => Promise.reject(new WarehouseError('connection reset by the warehouse', { transient: true })),
});

describe("the worker's failure policy", () => {
  test('a job queued with 1 attempt and an hour of backoff is retried per JOB_ATTEMPTS after JOB_BACKOFF_MS', async () => {
    const replaces = { n: 0 };
    const counted = (w: Warehouse): Warehouse => {
      const inner = failFirstReplace(w);
      return { ...inner, executeAtomic: (st, o) => (replaces.n++, inner.executeAtomic(st, o)) };
    };
    svc = await startTestService({ sources: DEMO_SOURCES, wrap: counted, env: { JOB_ATTEMPTS: '3' } });
    const { queues } = svc.service.runtime;
    await queues.refresh.add(
      'refresh',
      { runId: D, date: D, table: 'crm_metrics_daily' },
      { jobId: 'own-opts', attempts: 1, backoff: { type: 'fixed', delay: HOUR_MS } },
    );
    await waitForState(queues.refresh, 'own-opts', ['completed'], 20_000);
    // Queued with one attempt and an hour of backoff it would have failed for good; the worker's policy retried it at once.
    expect(replaces.n).toBe(2);
  });

  test('a job queued with 50 attempts stops after JOB_ATTEMPTS', async () => {
    svc = await startTestService({ sources: DEMO_SOURCES, wrap: replacesFail, env: { JOB_ATTEMPTS: '2' } });
    const { queues } = svc.service.runtime;
    await queues.refresh.add(
      'refresh',
      { runId: D, date: D, table: 'crm_metrics_daily' },
      { jobId: 'greedy', attempts: 50, backoff: { type: 'fixed', delay: 0 } },
    );
    const job = await waitForState(queues.refresh, 'greedy', ['failed'], 20_000);
    expect(job.attemptsMade).toBe(2);
    expect(job.failedReason).toBe('connection reset by the warehouse');
  });
});
