/**
 * The runs for operators over HTTP, behind the board's credentials: the JSON
 * API (list, one run, bad input, unknown ids; every answer checked against
 * the OpenAPI document), the /runs page's HTML, and a
 * retry on the board recorded with its operator (the task's attempts, the
 * run validated again).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { planDailyRun } from '../../src/producer/scheduler.js';
import { jobIds } from '../../src/queue/jobs.js';
import type { RunDetail, RunSummary } from '../../src/state/run-list.js';
import { INJECTED_ERROR, failRefreshOf } from '../support/fail-table.js';
import { checkAnswer } from '../support/openapi.js';
import { QUICK_ENV, startTestService, type TestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { waitFor } from '../support/wait.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
const BASIC = `Basic ${Buffer.from(`${QUICK_ENV.BOARD_USER}:${QUICK_ENV.BOARD_PASSWORD}`).toString('base64')}`;
const broken = { on: true };
let svc: TestService;
let base: string;

/** A GET; an answer of the JSON API is checked against the OpenAPI document first (status, headers, body). */
async function get(path: string, headers: Record<string, string> = { authorization: BASIC }): Promise<Response> {
  const res = await fetch(`${base}${path}`, { headers });
  if (!path.startsWith('/api/v1/')) return res;
  const text = await res.text();
  await checkAnswer(base, 'GET', path, res, text);
  return new Response(text, { status: res.status, headers: res.headers });
}
const runOf = async (id: string): Promise<RunDetail> => (await (await get(`/api/v1/runs/${encodeURIComponent(id)}`)).json()) as RunDetail;

beforeAll(async () => {
  svc = await startTestService({ sources: DEMO_SOURCES, wrap: failRefreshOf('crm_metrics_daily', broken) });
  base = `http://127.0.0.1:${svc.service.port}`;
  // The scheduler's run for D: the metrics refresh fails, the run fails.
  await planDailyRun(svc.service.runtime, D);
  await waitFor('the run to fail', async () => (await svc.service.runtime.state.run(D))?.outcome === 'failure');
});
afterAll(() => svc.stop());

describe('GET /api/v1/runs', () => {
  test("needs the board's credentials: none, a wrong password or a read API key get 401", async () => {
    expect((await get('/api/v1/runs', {})).status).toBe(401);
    expect((await get('/api/v1/runs', { authorization: `Basic ${Buffer.from('ops:wrong').toString('base64')}` })).status).toBe(401);
    expect((await get('/api/v1/runs', { 'x-api-key': QUICK_ENV.API_KEYS })).status).toBe(401);
    expect((await get('/runs', {})).status).toBe(401);
  });

  test('lists the runs with trigger, outcome and duration; filters by date; limit caps them', async () => {
    const res = await get('/api/v1/runs');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { runs, schedule } = (await res.json()) as { runs: RunSummary[]; schedule: unknown };
    expect(schedule).toEqual({ paused: false });
    expect(runs).toMatchObject([{ runId: D, date: D, kind: 'daily', trigger: 'scheduled', outcome: 'failure' }]);
    expect(runs[0]?.operator).toBeUndefined();
    expect(((await (await get('/api/v1/runs?date=2026-11-28')).json()) as { runs: unknown[] }).runs).toEqual([]);
    expect(((await (await get(`/api/v1/runs?date=${D}&limit=1`)).json()) as { runs: unknown[] }).runs).toHaveLength(1);
  });

  test.each([
    ['date=2026-02-30', 'date'],
    ['date=yesterday', 'date'],
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=2.5', 'limit'],
    ['limit=1&limit=2', 'limit'],
    ['sort=asc', 'sort'],
  ])('?%s is a 400 naming %s', async (query, parameter) => {
    const res = await get(`/api/v1/runs?${query}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { detail: string; parameter: string };
    expect(body.parameter).toBe(parameter);
    expect(body.detail).toContain(parameter);
  });

  test('one run: its tasks with outcome, attempts and error; 404 for an unknown id, 400 for an impossible one', async () => {
    const run = await runOf(D);
    expect(run).toMatchObject({ runId: D, trigger: 'scheduled', outcome: 'failure' });
    // Started when a worker took its first task: after planning, before the end of its validation.
    expect(run.startedAt).toBeGreaterThanOrEqual(run.plannedAt);
    expect(run.startedAt).toBeLessThanOrEqual(run.finishedAt ?? 0);
    const failed = run.tasks.find((t) => t.task === 'refresh' && t.table === 'crm_metrics_daily');
    expect(failed).toMatchObject({ outcome: 'failure', attempts: 1 });
    expect(failed?.error).toContain(INJECTED_ERROR);
    expect(run.tasks.find((t) => t.task === 'refresh' && t.table === 'crm_actions_open_snapshot')).toMatchObject({
      outcome: 'success',
      attempts: 1,
    });
    const missing = await get('/api/v1/runs/2026-01-01');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { detail: string }).detail).toContain("run '2026-01-01' is not recorded");
    const bad = await get('/api/v1/runs/a%20b');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { parameter: string }).parameter).toBe('id');
  });
});

describe('the /runs page (HTML)', () => {
  test('escaped, under a CSP allowing only its own stylesheet, each task linking to its job on the board', async () => {
    const res = await get('/runs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    const html = await res.text();
    expect(html).not.toMatch(/<script|style=/);
    expect(html).toContain(`href="/admin/queues/queue/refresh/${jobIds.refresh('crm_metrics_daily', D)}"`);
    expect(html).toContain(INJECTED_ERROR);
    expect(html).not.toContain('http-equiv="refresh"'); // no run in progress
    const css = await get('/runs/style.css');
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await css.text()).toContain('.w100{width:100%}');
    expect((await get('/runs/nope')).status).toBe(404);
  });
});

describe('a paused schedule', () => {
  test('shows in the runs list (since, by, reason) and as a banner on /runs; gone once resumed', async () => {
    const { state } = svc.service.runtime;
    const at = Date.parse('2026-11-29T10:00:00Z');
    expect(await state.pauseSchedule({ at, by: 'jane.doe', reason: 'source migration' })).toBe(true);
    try {
      const list = (await (await get('/api/v1/runs')).json()) as { schedule: unknown };
      expect(list.schedule).toEqual({ paused: true, pausedAt: at, pausedBy: 'jane.doe', reason: 'source migration' });
      const html = await (await get('/runs')).text();
      expect(html).toContain('The schedule is paused since 2026-11-29 07:00');
      expect(html).toContain('by jane.doe (source migration)');
    } finally {
      await state.resumeSchedule();
    }
    expect(((await (await get('/api/v1/runs')).json()) as { schedule: unknown }).schedule).toEqual({ paused: false });
    expect(await (await get('/runs')).text()).not.toContain('class="paused"');
  });
});

describe('a retry on the board', () => {
  test("is recorded with the board user: the task's second attempt, the run validated again and now a success", async () => {
    broken.on = false;
    const id = jobIds.refresh('crm_metrics_daily', D);
    const res = await fetch(`${base}/admin/queues/api/queues/refresh/${id}/retry`, {
      method: 'PUT',
      headers: { authorization: BASIC, origin: base },
    });
    expect(res.status).toBeLessThan(300);
    await waitFor('the run to succeed after the retry', async () => (await svc.service.runtime.state.run(D))?.outcome === 'success');
    const run = await runOf(D);
    expect(run.revalidated).toMatchObject({ by: QUICK_ENV.BOARD_USER });
    expect(run.tasks.find((t) => t.task === 'refresh' && t.table === 'crm_metrics_daily')).toMatchObject({
      outcome: 'success',
      attempts: 2,
      retriedBy: QUICK_ENV.BOARD_USER,
    });
    expect(await svc.service.runtime.redis.hlen(`${svc.prefix}:state:retries`)).toBe(0);
    // A retry the board refuses (no such job) leaves no mark behind.
    const refused = await fetch(`${base}/admin/queues/api/queues/refresh/no-such-job/retry`, {
      method: 'PUT',
      headers: { authorization: BASIC, origin: base },
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    await waitFor(
      'the refused retry to be unmarked',
      async () => (await svc.service.runtime.redis.hlen(`${svc.prefix}:state:retries`)) === 0,
    );
  });
});
