/** The read API through the real service, Redis and DuckDB: answers, pagination, invalidation, single flight, TTL. */
import { afterEach, describe, expect, test } from 'vitest';
import { TABLE_NAMES } from '../../src/tables/registry.js';
import { AUTH, apiGet, countingApiQueries, manyActions, runThroughQueue } from '../support/api.js';
import { metricValue } from '../support/metrics.js';
import { startTestService, TEST_NOW, type TestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { waitFor } from '../support/wait.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
const started: TestService[] = [];
afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.stop();
});
const start = async (opts: Parameters<typeof startTestService>[0]): Promise<TestService> => {
  const s = await startTestService({ roles: ['web', 'worker'], ...opts });
  started.push(s);
  return s;
};
const scrape = async (s: TestService): Promise<string> => (await fetch(`http://127.0.0.1:${s.service.port}/metrics`)).text();

describe('read API answers', () => {
  test('metrics: rows, totals and rates; default is the newest day', async () => {
    const s = await start({ sources: DEMO_SOURCES });
    await runThroughQueue(s, D);
    const day = await apiGet(s, '/metrics');
    expect(day.status).toBe(200);
    expect(day.headers.get('content-type')).toMatch(/^application\/json/);
    expect(day.body).toMatchObject({ from: D, to: D, organization_id: null, location_id: null });
    expect(day.body.rows).toEqual([
      {
        data_referencia: D,
        organization_id: 'O1',
        location_id: 'L1',
        total_verificacoes: 1,
        verificacoes_nao_conformes: 1,
        total_perguntas: 2,
        perguntas_nao_conformes: 1,
        total_controles_criticos: 1,
        controles_criticos_nao_conformes: 1,
        atualizado_em: expect.any(String) as unknown,
      },
    ]);
    const week = await apiGet(s, `/metrics?from=2026-11-23&to=${D}&organization_id=O1`);
    expect(week.body.rows.map((r) => [r.data_referencia, r.location_id])).toEqual([
      ['2026-11-27', 'L2'],
      [D, 'L1'],
    ]);
    expect(week.body.totals).toEqual({
      total_verificacoes: 2,
      verificacoes_nao_conformes: 1,
      total_perguntas: 3,
      perguntas_nao_conformes: 1,
      total_controles_criticos: 2,
      controles_criticos_nao_conformes: 1,
    });
    expect(week.body.rates).toEqual({
      verificacoes_nao_conformes_pct: 50,
      perguntas_nao_conformes_pct: 33.33,
      controles_criticos_nao_conformes_pct: 50,
    });
    const none = await apiGet(s, `/metrics?from=2026-11-01&to=2026-11-02&location_id=L1`);
    expect(none.body).toMatchObject({ from: '2026-11-01', to: '2026-11-02', rows: [] });
    expect(none.body.rates).toEqual({
      verificacoes_nao_conformes_pct: null,
      perguntas_nao_conformes_pct: null,
      controles_criticos_nao_conformes_pct: null,
    });
  });

  test('priorities: all eight categories in order, zeros included; actions: the open actions; freshness: the recorded state', async () => {
    const s = await start({ sources: DEMO_SOURCES });
    await runThroughQueue(s, D);
    const p = await apiGet(s, '/priorities?organization_id=O1');
    expect(p.body).toMatchObject({ date: D, organization_id: 'O1', location_id: null, total: 2 });
    expect(p.body.categories).toEqual([
      { prioridade: 'Vencidas', ordem: 0, total_acoes: 1 },
      { prioridade: 'S=0', ordem: 1, total_acoes: 0 },
      { prioridade: 'S=1', ordem: 2, total_acoes: 0 },
      { prioridade: 'S=2', ordem: 3, total_acoes: 0 },
      { prioridade: 'S=3', ordem: 4, total_acoes: 0 },
      { prioridade: 'S=4', ordem: 5, total_acoes: 0 },
      { prioridade: 'Posterior a S=4', ordem: 6, total_acoes: 0 },
      { prioridade: 'Sem vencimento', ordem: 7, total_acoes: 1 },
    ]);
    expect((await apiGet(s, '/priorities?date=2026-11-01')).body).toMatchObject({ date: '2026-11-01', total: 0 });
    const etag = p.headers.get('etag');
    expect(etag).toBeTruthy();
    // (fetch adds Cache-Control: no-cache to a conditional request unless told otherwise)
    expect(
      (await apiGet(s, '/priorities?organization_id=O1', { ...AUTH, 'if-none-match': etag!, 'cache-control': 'max-age=0' })).status,
    ).toBe(304);
    const a = await apiGet(s, '/actions');
    expect(a.body).toMatchObject({ date: D, total: 2, page_size: 50, next_cursor: null });
    expect(a.body.items).toEqual([
      expect.objectContaining({
        action_id: 'A1',
        prioridade: 'Vencidas',
        dias_atraso: 9,
        data_vencimento: '2026-11-20',
        responsavel: 'ana',
        status: 'ABERTA',
      }),
      expect.objectContaining({ action_id: 'A2', prioridade: 'Sem vencimento', dias_atraso: null, data_vencimento: null }),
    ]);
    expect((await apiGet(s, `/actions?responsavel=${encodeURIComponent("x' OR 1=1 --")}`)).body).toMatchObject({ total: 0, items: [] });
    const f = await apiGet(s, '/freshness');
    expect(f.status).toBe(200);
    expect(f.headers.get('x-cache')).toBeNull();
    for (const table of TABLE_NAMES) {
      const t = f.body.tables.find((x) => x.table === table)!;
      expect(t).toMatchObject({
        table,
        refreshing: false,
        status: 'ok',
        latest_date: D,
        generation: 1,
        last_refresh: { date: D, outcome: 'success' },
      });
      expect(t.updated_at).toBe(new Date(TEST_NOW).toISOString()); // written at the service's clock
    }
  });

  test('pagination: every open action once, in the stable order, across pages with ties in the sort key', async () => {
    const actions = manyActions(211) ?? [];
    const s = await start({ sources: { ...DEMO_SOURCES, actions } });
    await runThroughQueue(s, D);
    const expected =
      await s.rows(`SELECT action_id FROM hs_franquia.gold_connect_bot.crm_actions_open_snapshot WHERE data_snapshot = DATE '${D}' AND organization_id = 'O1'
      ORDER BY CASE prioridade WHEN 'Vencidas' THEN 0 WHEN 'S=0' THEN 1 WHEN 'S=1' THEN 2 WHEN 'S=2' THEN 3 WHEN 'S=3' THEN 4 WHEN 'S=4' THEN 5
        WHEN 'Posterior a S=4' THEN 6 ELSE 7 END, dias_atraso DESC NULLS LAST, action_id`);
    expect(new Set(actions.map((r) => r[7])).size).toBeGreaterThan(5);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await apiGet(s, `/actions?organization_id=O1&page_size=13${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(expected.length);
      expect(page.body.items.length).toBeLessThanOrEqual(13);
      seen.push(...page.body.items.map((i) => i.action_id));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor !== null && pages < 100);
    expect(pages).toBe(Math.ceil(expected.length / 13));
    expect(seen).toEqual(expected.map((r) => r.action_id));
    // The same listing filtered by category, in pages of one.
    const vencidas = (await apiGet(s, '/actions?prioridade=Vencidas&page_size=500')).body.items.map((i) => i.action_id);
    const one: string[] = [];
    cursor = null;
    do {
      const page = await apiGet(s, `/actions?prioridade=Vencidas&page_size=1${cursor ? `&cursor=${cursor}` : ''}`);
      one.push(...page.body.items.map((i) => i.action_id));
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    expect(one).toEqual(vencidas);
    expect(vencidas.length).toBeGreaterThan(50);
  });
});

describe('read API cache', () => {
  test('a refresh through the queue invalidates: the next read sees the new data, already loaded by the warm-up', async () => {
    const counter = { n: 0 };
    const s = await start({ sources: DEMO_SOURCES, wrap: countingApiQueries(counter) });
    const misses = async (): Promise<number> => metricValue(await scrape(s), 'crm_api_cache_total', { result: 'miss' }) ?? 0;
    await runThroughQueue(s, D);
    // The bumps warmed each table's default answer.
    await waitFor('the warm-up loads', async () => (await misses()) >= 3);
    expect((await apiGet(s, '/priorities')).headers.get('x-cache')).toBe('hit');
    const first = await apiGet(s, `/priorities?date=${D}&organization_id=O1`);
    expect([first.headers.get('x-cache'), first.body.total]).toEqual(['miss', 2]);
    expect((await apiGet(s, `/priorities?date=${D}&organization_id=O1`)).headers.get('x-cache')).toBe('hit');
    expect(counter.n).toBe(4);

    await s.fixture.setSources({
      ...DEMO_SOURCES,
      actions: [
        ...(DEMO_SOURCES.actions ?? []),
        ['A9', 'O1', 'L2', null, 'caio', null, 'ABERTA', '2026-12-01', '2026-11-28 10:00:00', null],
      ],
    });
    const before = await misses();
    await runThroughQueue(s, D, true);
    // The warm-up loads again the four answers served so far, from the new data.
    await waitFor('the warm-up after the second run', async () => (await misses()) >= before + 4);
    expect(counter.n).toBe(8);
    const after = await apiGet(s, `/priorities?date=${D}&organization_id=O1`);
    expect([after.headers.get('x-cache'), after.body.total]).toEqual(['hit', 3]);
    expect(after.body.categories[2]).toEqual({ prioridade: 'S=1', ordem: 2, total_acoes: 1 });
    expect((await apiGet(s, '/priorities')).body.total).toBe(3);
    const actions = await apiGet(s, '/actions?organization_id=O1');
    expect([actions.headers.get('x-cache'), actions.body.total]).toEqual(['miss', 3]);
    const f = await apiGet(s, '/freshness');
    expect(f.body.tables.map((t) => t.generation)).toEqual([2, 2, 2]);

    // A run for an older day (a backfill) invalidates as well, but warms nothing: the default answers did not change.
    const beforePast = counter.n;
    await runThroughQueue(s, parseIsoDate('2026-11-26')); // waits until every bump it caused was heard and no warm-up is pending
    expect(counter.n).toBe(beforePast);
    const past = await apiGet(s, '/priorities');
    expect([past.headers.get('x-cache'), past.body.date, past.body.total]).toEqual(['miss', D, 3]);
  }, 180_000); // three runs through the queue, on a loaded machine

  test('single flight: 100 concurrent misses of one key, over two web processes, make one warehouse query', async () => {
    const counter = { n: 0 };
    const wrap = countingApiQueries(counter, 300);
    const s = await start({ sources: DEMO_SOURCES, wrap });
    await runThroughQueue(s, D);
    await waitFor('the warm-up loads', async () => (metricValue(await scrape(s), 'crm_api_cache_total', { result: 'miss' }) ?? 0) >= 3);
    const other = await startTestService({ roles: ['web'], reuse: s, wrap });
    try {
      counter.n = 0;
      const path = `/metrics?from=2026-11-01&to=${D}&organization_id=O1`;
      const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => apiGet(i % 2 ? other : s, path)));
      expect(counter.n).toBe(1);
      expect(answers.every((a) => a.status === 200 && a.body.totals.total_verificacoes === 2)).toBe(true);
      const results = answers.map((a) => a.headers.get('x-cache'));
      expect(results.filter((r) => r === 'miss')).toHaveLength(1);
      expect(results.filter((r) => r === 'coalesced' || r === 'hit')).toHaveLength(99);
      const m = await scrape(s);
      expect(metricValue(m, 'crm_api_requests_total', { route: 'metrics', status: '200' })).toBe(50);
      expect(metricValue(m, 'crm_api_request_duration_seconds_count', { route: 'metrics' })).toBe(50);
    } finally {
      await other.stopService();
    }
  });

  test('an answer expires after CACHE_TTL_SECONDS; CACHE_TTL_SECONDS=0 turns the cache off', async () => {
    const counter = { n: 0 };
    const s = await start({ sources: DEMO_SOURCES, wrap: countingApiQueries(counter), env: { CACHE_TTL_SECONDS: '1' } });
    await runThroughQueue(s, D);
    await waitFor('the warm-up loads', async () => (metricValue(await scrape(s), 'crm_api_cache_total', { result: 'miss' }) ?? 0) >= 3);
    const path = `/actions?date=${D}&page_size=1`;
    const results = [(await apiGet(s, path)).headers.get('x-cache'), (await apiGet(s, path)).headers.get('x-cache')];
    await new Promise((r) => setTimeout(r, 1_300));
    results.push((await apiGet(s, path)).headers.get('x-cache'));
    expect(results).toEqual(['miss', 'hit', 'miss']);
    const m = await scrape(s);
    expect(metricValue(m, 'crm_api_warehouse_queries_total', { route: 'actions' })).toBe(3); // the warm-up and two misses
    await s.stopService();

    const off = await start({ sources: DEMO_SOURCES, wrap: countingApiQueries(counter), env: { CACHE_TTL_SECONDS: '0' } });
    await runThroughQueue(off, D);
    counter.n = 0;
    for (let i = 0; i < 3; i++) expect((await apiGet(off, '/priorities')).headers.get('x-cache')).toBe('bypass');
    expect(counter.n).toBe(3);
    expect(metricValue(await scrape(off), 'crm_api_cache_total', { result: 'bypass' })).toBe(3);
  });
});
