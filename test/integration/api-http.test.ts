/**
 * The read API as standard HTTP, through the real service, Redis and DuckDB:
 * its OpenAPI 3.1 document (checked by an OpenAPI validator; every answer the
 * API tests receive is checked against it by test/support/api.ts), problem
 * details for every error, 405 with Allow, 406, compression with weak ETags,
 * and the index the service's root redirects to.
 */
import { request as httpRequest } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterEach, describe, expect, test } from 'vitest';
import { openApiDocument } from '../../src/api/openapi.js';
import { API_KEY, AUTH, apiGet, runThroughQueue } from '../support/api.js';
import { startTestService, type TestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
const started: TestService[] = [];
afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.stop();
});
const start = async (env: Record<string, string> = {}): Promise<TestService> => {
  const s = await startTestService({ roles: ['web', 'worker'], sources: DEMO_SOURCES, env });
  started.push(s);
  return s;
};

/** A raw request (no automatic decompression): status, headers, the bytes as sent. */
function raw(
  s: TestService,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: s.service.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('OpenAPI document', () => {
  test('is a valid OpenAPI 3.1 document, served without credentials, generated from the request schemas', async () => {
    const result = await new Validator().validate(openApiDocument('0.0.0'));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);

    const s = await start();
    const res = await fetch(`http://127.0.0.1:${s.service.port}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, { get: { parameters?: { name: string; schema: { pattern?: string; enum?: string[] } }[] } }>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect((await new Validator().validate(doc as unknown as Record<string, unknown>)).valid).toBe(true);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/',
      '/actions',
      '/freshness',
      '/metrics',
      '/openapi.json',
      '/priorities',
      '/runs',
      '/runs/{id}',
    ]);
    const params = (path: string): string[] => (doc.paths[path]?.get.parameters ?? []).map((p) => p.name);
    expect(params('/metrics')).toEqual(['from', 'to', 'organization_id', 'location_id']);
    expect(params('/actions')).toEqual(['date', 'organization_id', 'location_id', 'responsavel', 'prioridade', 'page_size', 'cursor']);
    expect(params('/freshness')).toEqual([]);
    expect(params('/runs')).toEqual(['date', 'limit']);
    expect(params('/runs/{id}')).toEqual(['id']);
    // The page_size rule the service applies is the document's pattern.
    const pageSize = new RegExp(doc.paths['/actions']!.get.parameters!.find((p) => p.name === 'page_size')!.schema.pattern!);
    for (const [v, ok] of [
      ['1', true],
      ['500', true],
      ['0', false],
      ['501', false],
      ['050', false],
    ] as const) {
      expect([v, pageSize.test(v)]).toEqual([v, ok]);
      await runThroughQueueOnce(s);
      expect([v, (await apiGet(s, `/actions?page_size=${v}`)).status]).toEqual([v, ok ? 200 : 400]);
    }
  });
});

let ran = new WeakSet<TestService>();
async function runThroughQueueOnce(s: TestService): Promise<void> {
  if (ran.has(s)) return;
  ran.add(s);
  await runThroughQueue(s, D);
}

describe('standard HTTP', () => {
  test('every error is application/problem+json with type, title, status and detail (parameter on a 400)', async () => {
    const s = await start({ API_RATE_LIMIT_PER_MINUTE: '1', API_RATE_LIMIT_BURST: '4' });
    ran = new WeakSet();
    await runThroughQueueOnce(s);
    const bad = await apiGet(s, '/metrics?from=2026-02-30');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(bad.body).toEqual({
      type: 'urn:crm-materializer:problem:bad-parameter',
      title: 'Bad parameter',
      status: 400,
      detail: 'from must be a real calendar date as YYYY-MM-DD, e.g. 2026-11-29',
      parameter: 'from',
    });
    const unauthenticated = await apiGet(s, '/metrics', {});
    expect(unauthenticated.body).toMatchObject({ type: 'urn:crm-materializer:problem:unauthenticated', status: 401 });
    expect(unauthenticated.headers.get('www-authenticate')).toBe('Bearer realm="crm-materializer"');
    const missing = await apiGet(s, '/nothing-here');
    expect(missing.body).toMatchObject({ type: 'urn:crm-materializer:problem:not-found', status: 404 });
    const html = await apiGet(s, '/metrics', { ...AUTH, accept: 'text/html' });
    expect(html.body).toMatchObject({ type: 'urn:crm-materializer:problem:not-acceptable', status: 406 });
    // Counted so far: the 400 and the 404 (the 401 and the 406 come before the limit); two more use the burst of 4.
    for (let i = 0; i < 2; i++) expect((await apiGet(s, '/priorities')).status).toBe(200);
    const limited = await apiGet(s, '/priorities');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ type: 'urn:crm-materializer:problem:rate-limited', status: 429 });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  test('another method than GET or HEAD on an API path is 405 with Allow, whatever the credentials', async () => {
    const s = await start();
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      for (const path of ['/metrics', '/actions', '/openapi.json', '/']) {
        const a = await apiGet(s, path, {}, method);
        expect([method, path, a.status, a.headers.get('allow')]).toEqual([method, path, 405, 'GET, HEAD']);
        expect(a.body).toMatchObject({ type: 'urn:crm-materializer:problem:method-not-allowed', status: 405 });
      }
    }
    const head = await apiGet(s, '/freshness', AUTH, 'HEAD');
    expect(head.status).toBe(200);
  });

  test('bodies over 1 KB are compressed as the client asks, with one weak ETag for every encoding and Vary', async () => {
    const s = await start();
    await runThroughQueue(s, D);
    const path = '/api/v1/freshness'; // about 2 KB
    const plain = await raw(s, 'GET', path, { authorization: `Bearer ${API_KEY}` });
    const br = await raw(s, 'GET', path, { authorization: `Bearer ${API_KEY}`, 'accept-encoding': 'gzip, br' });
    const gz = await raw(s, 'GET', path, { authorization: `Bearer ${API_KEY}`, 'accept-encoding': 'gzip, br;q=0' });
    expect(plain.body.length).toBeGreaterThan(1024);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(br.headers['content-encoding']).toBe('br');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(brotliDecompressSync(br.body).toString()).toBe(plain.body.toString());
    expect(gunzipSync(gz.body).toString()).toBe(plain.body.toString());
    expect(br.body.length).toBeLessThan(plain.body.length);
    for (const r of [plain, br, gz]) {
      expect(r.headers.vary).toBe('Accept-Encoding, Authorization, X-API-Key');
      expect(r.headers.etag).toMatch(/^W\/".+"$/);
      expect(r.headers.etag).toBe(plain.headers.etag);
    }
    // The tag learnt from the brotli answer revalidates a gzip request.
    const again = await raw(s, 'GET', path, {
      authorization: `Bearer ${API_KEY}`,
      'accept-encoding': 'gzip',
      'if-none-match': String(br.headers.etag),
    });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    // A small answer is sent as it is.
    const small = await raw(s, 'GET', '/api/v1/priorities?organization_id=O1', {
      authorization: `Bearer ${API_KEY}`,
      'accept-encoding': 'br',
    });
    expect(small.body.length).toBeLessThanOrEqual(1024);
    expect(small.headers['content-encoding']).toBeUndefined();
  });

  test('the root redirects to the API index, which lists the API, the board and the metrics', async () => {
    const s = await start();
    const root = await raw(s, 'GET', '/');
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('/api/v1/');
    const index = await apiGet(s, '/', {});
    expect(index.status).toBe(200);
    expect(index.body).toMatchObject({ openapi: '/api/v1/openapi.json', board: '/admin/queues', metrics: '/metrics' });
  });
});
