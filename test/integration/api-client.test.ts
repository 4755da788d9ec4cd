/**
 * What a dashboard team does with the read API's OpenAPI document: generate a
 * typed client from the service's own /api/v1/openapi.json (an OpenAPI to
 * TypeScript generator), type-check a dashboard load written against it (and
 * see a wrong field refused by the compiler), then run it against the
 * service: real HTTP, Redis and DuckDB.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { generateApi } from 'swagger-typescript-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { API_KEY, runThroughQueue } from '../support/api.js';
import { startTestService, type TestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
const TSC = resolve('node_modules/typescript/bin/tsc');
const COMPILER = [
  '--strict',
  '--target',
  'es2022',
  '--module',
  'nodenext',
  '--moduleResolution',
  'nodenext',
  '--skipLibCheck',
  '--lib',
  'es2022,dom',
];

/** A dashboard load written against the generated client: what a team would write. */
const DASHBOARD_LOAD = `import { Api } from './Api.js';

export async function dashboardLoad(origin: string, key: string): Promise<{ days: number; verifications: number; categories: string[]; open: number }> {
  const api = new Api({ baseUrl: origin + '/api/v1', baseApiParams: { headers: { authorization: 'Bearer ' + key } } });
  const metrics = await api.metrics.getMetrics({ from: '2026-11-23', to: '${D}' });
  const priorities = await api.priorities.getPriorities({ date: '${D}' });
  const actions = await api.actions.getActions({ date: '${D}' });
  const verifications: number = metrics.data.totals.total_verificacoes;
  return { days: metrics.data.rows.length, verifications, categories: priorities.data.categories.map((c) => c.prioridade), open: actions.data.total };
}
`;

let svc: TestService;
let dir: string;

beforeAll(async () => {
  svc = await startTestService({ roles: ['web', 'worker'], sources: DEMO_SOURCES });
  await runThroughQueue(svc, D);
  dir = mkdtempSync(join(tmpdir(), 'crm-api-client-'));
  // The compiled client is an ES module.
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
}, 120_000);

afterAll(async () => {
  await svc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function tsc(files: string[], emit: boolean): Promise<{ ok: boolean; output: string }> {
  try {
    await promisify(execFile)(
      process.execPath,
      [TSC, ...COMPILER, ...(emit ? ['--outDir', dir] : ['--noEmit']), ...files.map((f) => join(dir, f))],
      { cwd: dir },
    );
    return { ok: true, output: '' };
  } catch (e) {
    return { ok: false, output: String((e as { stdout?: string }).stdout ?? e) };
  }
}

describe('a typed client generated from /api/v1/openapi.json', () => {
  test('type-checks a dashboard load, refuses a field the API does not have, and the load runs against the service', async () => {
    const origin = `http://127.0.0.1:${svc.service.port}`;
    const spec = (await (await fetch(`${origin}/api/v1/openapi.json`)).json()) as Record<string, unknown>;
    const generated = await generateApi({ spec, output: false, httpClientType: 'fetch', silent: true });
    const client = generated.files.find((f) => f.fileName === 'Api');
    expect(client).toBeDefined();
    writeFileSync(join(dir, 'Api.ts'), client!.fileContent);

    writeFileSync(join(dir, 'load.ts'), DASHBOARD_LOAD);
    const checked = await tsc(['Api.ts', 'load.ts'], true);
    expect(checked.output).toBe('');
    expect(checked.ok).toBe(true);

    // The compiler knows the answers' shapes: a field that is not in the document is an error.
    writeFileSync(
      join(dir, 'wrong.ts'),
      DASHBOARD_LOAD.replace('metrics.data.totals.total_verificacoes', 'metrics.data.totals.verificacoes_totais'),
    );
    const wrong = await tsc(['Api.ts', 'wrong.ts'], false);
    expect(wrong.ok).toBe(false);
    expect(wrong.output).toMatch(/verificacoes_totais/);

    const { dashboardLoad } = (await import(pathToFileURL(join(dir, 'load.js')).href)) as {
      dashboardLoad: (origin: string, key: string) => Promise<{ days: number; verifications: number; categories: string[]; open: number }>;
    };
    const load = await dashboardLoad(origin, API_KEY);
    expect(load.days).toBeGreaterThan(0);
    expect(load.verifications).toBeGreaterThan(0);
    expect(load.categories).toHaveLength(8);
    expect(load.open).toBeGreaterThan(0);
  }, 120_000);
});
