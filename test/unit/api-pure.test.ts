/**
 * The read API's pure modules, without Redis or an engine: query parsing
 * (api/params), the keyset cursor (api/cursor, with an in-memory secret
 * store), rows → answers (api/shape), and the run's flow (producer/planner
 * buildFlow). The same paths through the real parts: test/integration/api*.test.ts.
 */
import type { FlowJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { describe, expect, test } from 'vitest';
import { CursorCodec } from '../../src/api/cursor.js';
import { ParamError, actionsQuery, metricsQuery, prioritiesQuery } from '../../src/api/params.js';
import { metricsBody, pct } from '../../src/api/shape.js';
import { loadConfig } from '../../src/config/index.js';
import { parseIsoDate } from '../../src/dates.js';
import { buildFlow, countJobs } from '../../src/producer/planner.js';
import { TABLE_NAMES } from '../../src/tables/registry.js';

const D = parseIsoDate('2026-11-29');

function paramError(fn: () => unknown): ParamError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ParamError) return e;
    throw e;
  }
  throw new Error('no ParamError');
}

describe('query parameters', () => {
  test('metrics: dates parsed, an inverted or too long range refused naming the parameter', () => {
    expect(metricsQuery({ from: '2026-11-01', to: '2026-11-29' })).toMatchObject({
      from: '2026-11-01',
      to: '2026-11-29',
      organization_id: null,
    });
    expect(metricsQuery({})).toMatchObject({ from: null, to: null });
    expect(paramError(() => metricsQuery({ from: '2026-11-30', to: '2026-11-29' }))).toMatchObject({ parameter: 'from' });
    expect(paramError(() => metricsQuery({ from: '2025-01-01', to: '2026-11-29' })).parameter).toBe('to');
    expect(paramError(() => metricsQuery({ from: '2026-02-30' })).parameter).toBe('from');
    expect(paramError(() => metricsQuery({ form: '2026-11-01' })).message).toMatch(/unknown parameter form/);
    expect(paramError(() => metricsQuery({ from: ['2026-11-01', '2026-11-02'] })).message).toMatch(/given once/);
  });

  test('priorities and actions: defaults, page size bounds', () => {
    expect(prioritiesQuery({ date: '2026-11-29', organization_id: 'O1' })).toEqual({
      date: '2026-11-29',
      organization_id: 'O1',
      location_id: null,
    });
    expect(actionsQuery({})).toMatchObject({ date: null, page_size: 50, cursor: null, prioridade: null });
    expect(actionsQuery({ page_size: '500' }).page_size).toBe(500);
    expect(paramError(() => actionsQuery({ page_size: '501' })).parameter).toBe('page_size');
    expect(paramError(() => actionsQuery({ page_size: '0' })).parameter).toBe('page_size');
  });
});

/** SET NX and GET of one process's memory: what CursorCodec asks of Redis. */
function memoryRedis(): Redis {
  const m = new Map<string, string>();
  return {
    set: (k: string, v: string) => {
      if (!m.has(k)) m.set(k, v);
      return Promise.resolve('OK');
    },
    get: (k: string) => Promise.resolve(m.get(k) ?? null),
  } as unknown as Redis;
}

describe('keyset cursor', () => {
  const key = { date: D, ordem: 2, atraso: -3, actionId: 'A|1' };

  test('what it encodes it decodes; every pod of a deployment (one secret) accepts it', async () => {
    const redis = memoryRedis();
    const cursor = await new CursorCodec(redis, 's').encode(key);
    expect(await new CursorCodec(redis, 's').decode(cursor)).toEqual(key);
  });

  test('an altered, made-up or foreign cursor is a ParamError on cursor', async () => {
    const codec = new CursorCodec(memoryRedis(), 's');
    const cursor = await codec.encode(key);
    const [payload, sig] = cursor.split('.') as [string, string];
    const other = Buffer.from(JSON.stringify([D, 2, -3, 'A|2'])).toString('base64url');
    for (const bad of [`${other}.${sig}`, `${payload}.${sig.slice(0, -2)}AA`, payload, `${cursor}.x`, 'nonsense']) {
      await expect(codec.decode(bad)).rejects.toMatchObject({ name: 'ParamError', parameter: 'cursor' });
    }
    const foreign = await new CursorCodec(memoryRedis(), 's').encode(key);
    await expect(codec.decode(foreign)).rejects.toMatchObject({ parameter: 'cursor' });
  });
});

describe('answers from rows', () => {
  test('metrics: totals, rates (null when nothing to divide by), BIGINT counts as numbers', () => {
    const row = (day: string, verifications: number | bigint, nonConforming: number) => ({
      ate: new Date('2026-11-29T00:00:00Z'),
      data_referencia: new Date(`${day}T00:00:00Z`),
      organization_id: 'O1',
      location_id: 'L1',
      total_verificacoes: verifications,
      verificacoes_nao_conformes: nonConforming,
      total_perguntas: 0,
      perguntas_nao_conformes: 0,
      total_controles_criticos: 0,
      controles_criticos_nao_conformes: 0,
      atualizado_em: new Date('2026-11-29T09:00:00Z'),
    });
    const body = metricsBody(metricsQuery({ from: '2026-11-28' }), [row('2026-11-28', 3n, 1), row('2026-11-29', 1, 0)]);
    expect(body).toMatchObject({ from: '2026-11-28', to: '2026-11-29', totals: { total_verificacoes: 4, verificacoes_nao_conformes: 1 } });
    expect(body.rates).toEqual({
      verificacoes_nao_conformes_pct: 25,
      perguntas_nao_conformes_pct: null,
      controles_criticos_nao_conformes_pct: null,
    });
    expect(body.rows[0]).toMatchObject({ data_referencia: '2026-11-28', atualizado_em: '2026-11-29T09:00:00.000Z' });
    expect(pct(1, 3)).toBe(33.33);
  });

  test('metrics without to: the range ends at the newest day, at most 366 days after from', () => {
    const newest = [{ ate: new Date('2026-11-29T00:00:00Z'), data_referencia: null }];
    expect(metricsBody(metricsQuery({ from: '2025-01-01' }), newest)).toMatchObject({ from: '2025-01-01', to: '2026-01-01', rows: [] });
    expect(metricsBody(metricsQuery({}), newest)).toMatchObject({ from: '2026-11-29', to: '2026-11-29' });
  });
});

describe('the run as a flow', () => {
  const config = loadConfig({});
  const ids = (job: FlowJob): string[] => [job.opts?.jobId ?? '', ...(job.children ?? []).flatMap(ids)];

  test('daily run: validation over every table chain; priorities after the snapshot chain of D', () => {
    const flow = buildFlow({ runId: D, date: D, tables: TABLE_NAMES, retention: true }, config);
    expect(flow.opts?.jobId).toBe(`validation__${D}`);
    expect(countJobs(flow)).toBe(1 + 2 * TABLE_NAMES.length);
    expect(ids(flow).sort()).toEqual(
      [`validation__${D}`, ...TABLE_NAMES.flatMap((t) => [`refresh__${t}__${D}`, `retention__${t}__${D}`])].sort(),
    );
    const priorities = (job: FlowJob): FlowJob | undefined =>
      job.opts?.jobId === `refresh__crm_action_priorities_daily__${D}` ? job : (job.children ?? []).map(priorities).find(Boolean);
    expect(ids(priorities(flow)!)).toContain(`retention__crm_actions_open_snapshot__${D}`);
    expect((priorities(flow)!.data as { after?: string }).after).toBe(`refresh__crm_actions_open_snapshot__${D}`);
    // Planning the same run again builds the same ids: BullMQ adds nothing.
    expect(ids(buildFlow({ runId: D, date: D, tables: TABLE_NAMES, retention: true }, config))).toEqual(ids(flow));
  });

  test('backfill chunk: one replace for the rolling window, one refresh per day for the snapshots, no retention', () => {
    const from = parseIsoDate('2026-11-27');
    const flow = buildFlow({ runId: 'bf_2026-11-27_2026-11-29', date: D, from, tables: TABLE_NAMES, retention: false }, config);
    const all = ids(flow);
    expect(all.filter((id) => id.startsWith('retention'))).toEqual([]);
    expect(all.filter((id) => id.startsWith('refresh__crm_metrics_daily'))).toEqual([
      'refresh__crm_metrics_daily__bf_2026-11-27_2026-11-29',
    ]);
    expect(all.filter((id) => id.startsWith('refresh__crm_actions_open_snapshot')).sort()).toEqual(
      ['2026-11-27', '2026-11-28', '2026-11-29'].map((d) => `refresh__crm_actions_open_snapshot__bf_2026-11-27_2026-11-29__${d}`),
    );
  });
});
