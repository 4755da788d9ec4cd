/**
 * The board refuses cross-site requests: a state change needs a same-origin
 * Origin (or Referer) and a JSON body, unless it carries a bearer token; every
 * response has the security headers; HSTS when a trusted proxy says HTTPS.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { QUICK_ENV, startTestService, type TestService } from '../support/service.js';

const TOKEN = 'board-token-0123456789';
const BASIC = `Basic ${Buffer.from(`${QUICK_ENV.BOARD_USER}:${QUICK_ENV.BOARD_PASSWORD}`).toString('base64')}`;
const JOB = JSON.stringify({ name: 'validation', data: { runId: 'x', date: '2026-11-29', tables: ['crm_metrics_daily'] } });

describe('board security', () => {
  let svc: TestService;
  let base: string;
  const add = (headers: Record<string, string>, body = JOB) =>
    fetch(`${base}/admin/queues/api/queues/validation/add`, { method: 'POST', headers: { authorization: BASIC, ...headers }, body });
  const jobs = () => svc.service.runtime.queues.validation.count();

  beforeAll(async () => {
    // The web role alone: added jobs stay in the queue, where the test counts them.
    svc = await startTestService({ roles: ['web'], env: { BOARD_TOKEN: TOKEN } });
    base = `http://127.0.0.1:${svc.service.port}`;
  });
  afterAll(() => svc.stop());

  test.each([
    ['a text/plain POST from another site', { origin: 'https://evil.example', 'content-type': 'text/plain' }, 'https://evil.example'],
    ['a JSON POST from another site', { origin: 'https://evil.example', 'content-type': 'application/json' }, 'https://evil.example'],
    [
      'a POST from a page of another site (Referer only)',
      { referer: 'https://evil.example/x', 'content-type': 'application/json' },
      'https://evil.example',
    ],
    ['a POST from a sandboxed page (Origin: null)', { origin: 'null', 'content-type': 'application/json' }, 'null'],
    ['a POST saying nothing of where it comes from', { 'content-type': 'application/json' }, 'none'],
  ])('%s is refused with 403 and a one-line problem+json; nothing is added', async (_name, headers, got) => {
    const res = await add(headers);
    expect(res.status).toBe(403);
    const text = await res.text();
    expect(text).not.toContain('\n');
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(text) as { status: number; detail: string }).toMatchObject({
      status: 403,
      detail: `cross-site request refused: a POST needs an Origin or Referer of ${base} (got ${got}); act from the board's own page, or authenticate with a bearer token`,
    });
    expect(await jobs()).toBe(0);
  });

  test("the board's own requests pass: JSON from its page, a body-less PUT, a bearer-token client", async () => {
    expect((await add({ origin: base, 'content-type': 'application/json' })).status).toBe(200);
    expect((await add({ referer: `${base}/admin/queues/queue/validation`, 'content-type': 'application/json' })).status).toBe(200);
    expect((await add({ authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' })).status).toBe(200);
    expect(await jobs()).toBe(3);
    const pause = await fetch(`${base}/admin/queues/api/queues/validation/pause`, {
      method: 'PUT',
      headers: { authorization: BASIC, origin: base },
    });
    expect(pause.status).toBeLessThan(300);
    expect(await svc.service.runtime.queues.validation.isPaused()).toBe(true);
    await svc.service.runtime.queues.validation.resume();
  });

  test('a same-origin body that is not JSON is refused with 415', async () => {
    const before = await jobs();
    const res = await add({ origin: base, 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({
      status: 415,
      title: 'Unsupported media type',
      detail: 'a POST body must be JSON: send Content-Type: application/json',
    });
    expect(await jobs()).toBe(before);
  });

  test.each(['/healthz', '/readyz', '/metrics', '/admin/queues', '/api/v1/freshness', '/no-such-page'])(
    '%s answers with the security headers and no X-Powered-By',
    async (path) => {
      for (const headers of [{}, { authorization: BASIC }] as Record<string, string>[]) {
        const res = await fetch(`${base}${path}`, { headers });
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
        expect(res.headers.get('referrer-policy')).toBe('same-origin');
        expect(res.headers.get('x-powered-by')).toBeNull();
        expect(res.headers.get('strict-transport-security')).toBeNull();
      }
    },
  );
});

describe('behind a trusted TLS proxy', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ roles: ['web'], env: { TRUST_PROXY: 'true' } });
  });
  afterAll(() => svc.stop());

  test('HTTPS requests get HSTS, and the origin is the one the client used', async () => {
    const base = `http://127.0.0.1:${svc.service.port}`;
    const https = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'board.example.com' };
    expect((await fetch(`${base}/healthz`, { headers: https })).headers.get('strict-transport-security')).toBe(
      'max-age=31536000; includeSubDomains',
    );
    expect((await fetch(`${base}/healthz`)).headers.get('strict-transport-security')).toBeNull();
    const add = (origin: string) =>
      fetch(`${base}/admin/queues/api/queues/validation/add`, {
        method: 'POST',
        headers: { ...https, authorization: BASIC, origin, 'content-type': 'application/json' },
        body: JOB,
      });
    expect((await add('https://board.example.com')).status).toBe(200);
    expect((await add(base)).status).toBe(403);
  });
});
