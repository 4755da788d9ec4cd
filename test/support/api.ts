/** Helpers for the read API's tests: requests, a counting engine, runs through the queue, fixtures. */
import { enqueueRun, runIdFor } from '../../src/producer/planner.js';
import { jobIds } from '../../src/queue/jobs.js';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import type { SourceRows } from './duckdb-fixture.js';
import { QUICK_ENV, type TestService } from './service.js';
import { checkAnswer } from './openapi.js';
import { waitForState } from './wait.js';
import type { IsoDate } from '../../src/dates.js';

export const API_KEY = QUICK_ENV.API_KEYS;
export const AUTH = { authorization: `Bearer ${API_KEY}` } as const;

/** The fields the endpoints answer with (typed for the tests' convenience: each endpoint fills its own). */
export interface ApiBody {
  /** Problem details (RFC 9457) of an error. */
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly parameter: string;
  readonly from: string | null;
  readonly to: string | null;
  readonly date: string | null;
  readonly rows: Record<string, unknown>[];
  readonly totals: Record<string, number>;
  readonly rates: Record<string, number | null>;
  readonly total: number;
  readonly categories: { prioridade: string; ordem: number; total_acoes: number }[];
  readonly items: (Record<string, unknown> & { action_id: string })[];
  readonly next_cursor: string | null;
  readonly page_size: number;
  readonly tables: (Record<string, unknown> & { table: string; generation: number; updated_at: string })[];
  readonly [field: string]: unknown;
}

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: ApiBody;
}

/** A request to the read API; every answer is checked against the service's OpenAPI document. */
export async function apiGet(s: TestService, path: string, headers: Record<string, string> = AUTH, method = 'GET'): Promise<ApiAnswer> {
  const base = `http://127.0.0.1:${s.service.port}`;
  const res = await fetch(`${base}/api/v1${path}`, { headers, method });
  const text = await res.text();
  await checkAnswer(base, method, `/api/v1${path}`, res, text);
  return { status: res.status, headers: res.headers, body: (text === '' ? {} : JSON.parse(text)) as ApiBody };
}

/** Counts the read API's warehouse queries (tag task 'api'); `delayMs` slows them so concurrent misses overlap. */
export function countingApiQueries(counter: { n: number }, delayMs = 0) {
  return (w: Warehouse): Warehouse => ({
    engine: w.engine,
    execute: (s, o) => w.execute(s, o),
    executeAtomic: (s, o) => w.executeAtomic(s, o),
    close: () => w.close(),
    query: async (s, o) => {
      if (o?.tag?.task !== 'api') return w.query(s, o);
      counter.n++;
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      return w.query(s, o);
    },
  });
}

/** Run every table for `date` through the real queue (a forced re-run when `force`), and wait for its validation. */
export async function runThroughQueue(s: TestService, date: IsoDate, force = false): Promise<void> {
  const { flows, state, queues } = s.service.runtime;
  const runId = await runIdFor(state, s.config, date, TABLE_NAMES, force);
  const planned = await enqueueRun(flows, state, s.config, { runId, date, tables: TABLE_NAMES, retention: true });
  if (!planned.added) throw new Error(`run ${runId} was planned before`);
  // A run is a few seconds; the bound is generous for a machine loaded by the rest of the suite.
  const done = await waitForState(queues.validation, jobIds.validation(runId), ['completed', 'failed'], 90_000).catch(
    async (e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}; the run's jobs: ${await runJobs(s, runId)}`);
    },
  );
  if ((await done.getState()) === 'failed') throw new Error(`run ${runId} failed; its jobs: ${await runJobs(s, runId)}`);
  await s.settled();
}

/** Every job of a run with its state (and reason when it failed): what a test shows instead of a bare timeout. */
async function runJobs(s: TestService, runId: string): Promise<string> {
  const { queues } = s.service.runtime;
  const lines: string[] = [];
  for (const q of [queues.refresh, queues.retention, queues.validation]) {
    for (const job of await q.getJobs()) {
      if ((job.data as { runId?: string }).runId !== runId) continue;
      const reason = job.failedReason ? ` (${job.failedReason})` : '';
      lines.push(`${q.name}/${job.id}=${await job.getState()}${reason}`);
    }
  }
  return lines.join(', ') || 'none found';
}

/**
 * Open actions as of 2026-11-29 (a Sunday) with many ties in (prioridade,
 * dias_atraso): ids in a shuffled order, some sharing every sort column but
 * the id, two organizations.
 */
export function manyActions(n: number): SourceRows['actions'] {
  const dues = ['2026-11-20', '2026-11-25', '2026-11-28', '2026-11-29', '2026-11-30', '2026-12-08', '2027-02-01', null];
  const rows: NonNullable<SourceRows['actions']> = [];
  for (let i = 0; i < n; i++) {
    const k = (i * 7919) % n; // a permutation when n is not a multiple of 7919
    const due = dues[k % 3 === 0 ? 0 : k % dues.length] ?? null;
    rows.push([
      `ACT-${k % 10}-${k}`,
      k % 4 === 0 ? 'O2' : 'O1',
      `L${k % 3}`,
      null,
      k % 2 ? 'ana' : 'bia',
      'CORRETIVA',
      'ABERTA',
      due,
      '2026-09-01 00:00:00',
      null,
    ]);
  }
  return rows;
}
