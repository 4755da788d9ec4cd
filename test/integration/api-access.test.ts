/** The read API's doors: credentials (API keys, JWT), the start-up refusal, and a 400 naming each bad parameter. */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { UsageError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { startService } from '../../src/service.js';
import { API_KEY, apiGet, runThroughQueue } from '../support/api.js';
import { createFixture, ENV_BASE } from '../support/duckdb-fixture.js';
import { cleanupPrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { QUICK_ENV, startTestService, type TestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { waitFor } from '../support/wait.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
const ISSUER = 'https://login.example.test/';
const dir = mkdtempSync(join(tmpdir(), 'crm-jwks-'));
const jwksPath = join(dir, 'jwks.json');
const hsSecret = randomBytes(32);
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPublic = rsa.publicKey.export({ format: 'jwk' });

beforeAll(() => {
  writeFileSync(
    jwksPath,
    JSON.stringify({
      keys: [
        { kty: 'oct', kid: 'hs', alg: 'HS256', k: hsSecret.toString('base64url') },
        { ...rsaPublic, kid: 'rs', alg: 'RS256', use: 'sig' },
      ],
    }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const started: TestService[] = [];
afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.stop();
});
const start = async (env: Record<string, string> = {}): Promise<TestService> => {
  const s = await startTestService({
    roles: ['web', 'worker'],
    sources: DEMO_SOURCES,
    env: { API_JWKS_FILE: jwksPath, API_JWT_ISSUER: ISSUER, API_JWT_AUDIENCE: 'crm-dashboard', ...env },
  });
  started.push(s);
  return s;
};

type Claims = JWTPayload & { iss?: string };
const now = (): number => Math.floor(Date.now() / 1000);
const claims = (extra: Claims = {}): Claims => ({ iss: ISSUER, aud: 'crm-dashboard', sub: 'user-1', exp: now() + 300, ...extra });
const hs = (c: Claims = claims(), secret: Uint8Array = hsSecret, kid = 'hs'): Promise<string> =>
  new SignJWT(c).setProtectedHeader({ alg: 'HS256', kid }).sign(secret);
const rs = (c: Claims = claims(), key = rsa.privateKey, kid = 'rs'): Promise<string> =>
  new SignJWT(c).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

describe('read API credentials', () => {
  test('API keys (bearer or X-API-Key) and JWTs (HS256, RS256) are accepted; anything else is 401', async () => {
    const s = await start();
    await runThroughQueue(s, D);
    const status = async (headers: Record<string, string>): Promise<number> => (await apiGet(s, '/priorities', headers)).status;
    expect(await status({ authorization: `Bearer ${API_KEY}` })).toBe(200);
    expect(await status({ 'x-api-key': API_KEY })).toBe(200);
    expect(await status(bearer(await hs()))).toBe(200);
    expect(await status(bearer(await rs()))).toBe(200);
    expect(await status(bearer(await rs(claims(), rsa.privateKey, undefined as unknown as string)))).toBe(200); // no kid: the only RS256 key

    const refused = {
      'no credentials': {},
      'wrong key': { authorization: `Bearer ${API_KEY}x` },
      'wrong X-API-Key': { 'x-api-key': 'not-the-key-0123456789' },
      'basic auth': { authorization: `Basic ${Buffer.from(`ops:${API_KEY}`).toString('base64')}` },
      'expired JWT': bearer(await hs(claims({ exp: now() - 60 }))),
      'JWT of another issuer': bearer(await hs(claims({ iss: 'https://evil.example.test/' }))),
      'JWT for another audience': bearer(await rs(claims({ aud: 'other-app' }))),
      'JWT without expiry': bearer(await hs({ iss: ISSUER, aud: 'crm-dashboard', sub: 'u' })),
      'JWT not yet valid': bearer(await hs(claims({ nbf: now() + 600 }))),
      'JWT signed by another key': bearer(await rs(claims(), otherRsa.privateKey)),
      'JWT with the wrong HMAC secret': bearer(await hs(claims(), randomBytes(32))),
      'HS256 JWT signed with the RSA public key (algorithm confusion)': bearer(
        await hs(claims(), Buffer.from(rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string), 'rs'),
      ),
      'unsigned JWT (alg none)': bearer(
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.`,
      ),
    };
    for (const [what, headers] of Object.entries(refused)) {
      const a = await apiGet(s, '/priorities', headers);
      expect([what, a.status, a.headers.get('www-authenticate')]).toEqual([what, 401, 'Bearer realm="crm-materializer"']);
      expect(a.body.detail).toMatch(/authentication required/);
    }
    for (const path of ['/metrics', '/actions', '/freshness', '/nothing-here']) expect((await apiGet(s, path, {})).status).toBe(401);
  });

  test('the web role refuses to start without API credentials, unless API_AUTH=off', async () => {
    const fixture = await createFixture();
    await fixture.warehouse.close();
    const prefix = uniquePrefix();
    try {
      const env = { ...ENV_BASE, ...QUICK_ENV, DUCKDB_PATH: fixture.path, REDIS_URL, QUEUE_PREFIX: prefix, API_KEYS: '' };
      await expect(startService(loadConfig(env), createLogger('silent'), ['web'])).rejects.toThrow(UsageError);
      await expect(startService(loadConfig(env), createLogger('silent'), ['web'])).rejects.toThrow(
        /needs read API credentials: set API_KEYS/,
      );
      const open = await startService(loadConfig({ ...env, API_AUTH: 'off' }), createLogger('silent'), ['web']);
      try {
        expect((await fetch(`http://127.0.0.1:${open.port}/api/v1/freshness`)).status).toBe(200);
      } finally {
        await open.stop();
      }
      // A worker-only process serves no API and needs no API credentials.
      const worker = await startService(loadConfig(env), createLogger('silent'), ['worker']);
      expect((await fetch(`http://127.0.0.1:${worker.port}/api/v1/freshness`)).status).toBe(404);
      await worker.stop();
    } finally {
      await cleanupPrefix(prefix);
      await fixture.cleanup();
    }
  });
});

describe('read API parameters', () => {
  test('every bad parameter is a 400 naming it; nothing reaches the warehouse', async () => {
    const s = await start();
    await runThroughQueue(s, D);
    const page = await apiGet(s, '/actions?page_size=1');
    const cursor = page.body.next_cursor!;
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const [payload, sig] = cursor.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify([D, 0, 1_000_000, ''])).toString('base64url');
    const flip = (c: string): string => c.slice(0, -1) + (c.endsWith('A') ? 'B' : 'A');
    const cases: [path: string, parameter: string][] = [
      ['/metrics?from=2026-02-30', 'from'],
      ['/metrics?to=2026-13-01', 'to'],
      ['/metrics?from=29/11/2026', 'from'],
      ['/metrics?from=2026-11-29&to=2026-11-01', 'from'],
      ['/metrics?from=2025-11-01&to=2026-11-29', 'to'],
      ['/metrics?organization_id=O1%27%20OR%20%271%27%3D%271', 'organization_id'],
      [`/metrics?location_id=${'L'.repeat(65)}`, 'location_id'],
      ['/metrics?organization_id=', 'organization_id'],
      ['/metrics?organization_id=O1&organization_id=O2', 'organization_id'],
      ['/metrics?date=2026-11-29', 'date'],
      ['/priorities?date=2026-11-31', 'date'],
      ['/priorities?location_id=L%201', 'location_id'],
      ['/actions?prioridade=S%3D9', 'prioridade'],
      ['/actions?page_size=0', 'page_size'],
      ['/actions?page_size=501', 'page_size'],
      ['/actions?page_size=ten', 'page_size'],
      ['/actions?responsavel=a%0Ab', 'responsavel'],
      ['/actions?cursor=garbage', 'cursor'],
      [`/actions?cursor=${payload}.${flip(sig)}`, 'cursor'],
      [`/actions?cursor=${flip(payload)}.${sig}`, 'cursor'],
      [`/actions?cursor=${forged}.${sig}`, 'cursor'],
      [`/actions?date=2026-11-28&cursor=${cursor}`, 'cursor'],
      ['/freshness?verbose=1', 'verbose'],
    ];
    const queries = async (): Promise<string[]> =>
      (await (await fetch(`http://127.0.0.1:${s.service.port}/metrics`)).text())
        .split('\n')
        .filter((l) => l.startsWith('crm_api_warehouse_queries_total'));
    // The run's refreshes warm every route once (on a timer of their own): count from after that.
    const before = await waitFor('the warm-up after the run', async () => {
      const q = await queries();
      return q.length > 0 && q.every((l) => !l.endsWith(' 0')) ? q : undefined;
    });
    for (const [path, parameter] of cases) {
      const a = await apiGet(s, path);
      expect([path, a.status, a.body.parameter]).toEqual([path, 400, parameter]);
      expect(typeof a.body.detail).toBe('string');
    }
    expect(await queries()).toEqual(before);
    const m = await (await fetch(`http://127.0.0.1:${s.service.port}/metrics`)).text();
    expect(m).toMatch(/crm_api_requests_total\{route="actions",status="400"\} 10/);
    // The cursor itself works, and a range of exactly 366 days is accepted.
    expect((await apiGet(s, `/actions?page_size=1&cursor=${cursor}`)).body.items).toHaveLength(1);
    expect((await apiGet(s, '/metrics?from=2025-11-29&to=2026-11-29')).status).toBe(200);
  });
});
