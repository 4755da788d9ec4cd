/**
 * JWTs verified against the identity provider's JWKS URL (API_JWKS_URL): a
 * local JWKS server the test starts, a key rotation on it (a token of the new
 * key is accepted without a restart, one of the retired key is refused),
 * HS256 never taken from a URL, and a provider that does not answer within
 * the timeout (refused at once, one warning, verified again once it answers).
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { apiGet, runThroughQueue } from '../support/api.js';
import { captureLog } from '../support/log-capture.js';
import { startTestService, type TestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { parseIsoDate } from '../../src/dates.js';

const D = parseIsoDate('2026-11-29');
const ISSUER = 'https://login.example.test/';
const started: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of started.splice(0).reverse()) await stop();
});

const rsaKey = (): { privateKey: KeyObject; publicKey: KeyObject } => generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = (k: { publicKey: KeyObject }, kid: string): object => ({
  ...k.publicKey.export({ format: 'jwk' }),
  kid,
  alg: 'RS256',
  use: 'sig',
});

/** A JWKS endpoint serving whatever `keys` holds now, counting its fetches; while `hang`, it never answers. */
async function jwksServer(): Promise<{ url: string; keys: object[]; fetches: number; hang: boolean }> {
  const state = { url: '', keys: [] as object[], fetches: 0, hang: false };
  const server: Server = createServer((_req, res) => {
    state.fetches++;
    if (state.hang) return;
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  state.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/.well-known/jwks.json`;
  started.push(() => {
    server.closeAllConnections(); // the requests it left hanging
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return state;
}

const token = (key: KeyObject | Uint8Array, kid: string, alg = 'RS256'): Promise<string> =>
  new SignJWT({ iss: ISSUER, sub: 'user-1' }).setProtectedHeader({ alg, kid }).setIssuedAt().setExpirationTime('5m').sign(key);

describe('JWKS URL', () => {
  test('RS256 tokens verified with the fetched keys; a rotation is picked up without a restart', async () => {
    const jwks = await jwksServer();
    const first = rsaKey();
    const second = rsaKey();
    jwks.keys = [jwk(first, 'k1')];
    const s: TestService = await startTestService({
      roles: ['web', 'worker'],
      sources: DEMO_SOURCES,
      // Cooldown 0: the test rotates at once; in production at most one fetch per 30 s.
      env: { API_KEYS: '', API_JWKS_URL: jwks.url, API_JWT_ISSUER: ISSUER, API_JWKS_COOLDOWN_MS: '0' },
    });
    started.push(() => s.stop());
    await runThroughQueue(s, D);
    const status = async (jwt: string): Promise<number> => (await apiGet(s, '/priorities', { authorization: `Bearer ${jwt}` })).status;

    expect(await status(await token(first.privateKey, 'k1'))).toBe(200);
    expect(jwks.fetches).toBe(1);
    expect(await status(await token(first.privateKey, 'k1'))).toBe(200);
    expect(jwks.fetches).toBe(1); // kept, not fetched per request
    // A key the provider has not published yet: refused.
    expect(await status(await token(second.privateKey, 'k2'))).toBe(401);

    // Rotation: the provider publishes k2 and retires k1.
    jwks.keys = [jwk(second, 'k2')];
    expect(await status(await token(second.privateKey, 'k2'))).toBe(200);
    expect(await status(await token(first.privateKey, 'k1'))).toBe(401);
    // A token signed by another key under a published kid: refused.
    expect(await status(await token(rsaKey().privateKey, 'k2'))).toBe(401);
    // HS256 is never verified with anything fetched from a URL.
    jwks.keys = [jwk(second, 'k2'), { kty: 'oct', kid: 'h', k: randomBytes(32).toString('base64url') }];
    const secret = Buffer.from((jwks.keys[1] as { k: string }).k, 'base64url');
    expect(await status(await token(secret, 'h', 'HS256'))).toBe(401);
  });

  test('a provider that does not answer within API_JWKS_TIMEOUT_MS: 401 (not a hung request), one warning; verified again once it answers', async () => {
    const jwks = await jwksServer();
    const key = rsaKey();
    jwks.keys = [jwk(key, 'k1')];
    jwks.hang = true;
    const captured = captureLog();
    const s: TestService = await startTestService({
      roles: ['web', 'worker'],
      sources: DEMO_SOURCES,
      log: captured.log,
      env: { API_KEYS: '', API_JWKS_URL: jwks.url, API_JWT_ISSUER: ISSUER, API_JWKS_COOLDOWN_MS: '0', API_JWKS_TIMEOUT_MS: '200' },
    });
    started.push(() => s.stop());
    await runThroughQueue(s, D);
    const status = async (): Promise<number> =>
      (await apiGet(s, '/priorities', { authorization: `Bearer ${await token(key.privateKey, 'k1')}` })).status;
    const unreachable = (): number => captured.byMsg(/API_JWKS_URL could not be fetched/).length;

    // Each token tries the provider again (cooldown 0): each request ends with a 401 at the timeout; one warning for the outage.
    expect(await status()).toBe(401);
    expect(await status()).toBe(401);
    expect(jwks.fetches).toBe(2);
    expect(unreachable()).toBe(1);
    expect(captured.byMsg(/API_JWKS_URL could not be fetched/)[0]?.level).toBe(40);
    // The provider answers again: the same token is verified, no new warning.
    jwks.hang = false;
    expect(await status()).toBe(200);
    expect(unreachable()).toBe(1);
  });

  test('a JWKS URL must be https (http only on loopback), and comes with an issuer', () => {
    expect(() => loadConfig({ API_JWKS_URL: 'http://login.example.test/jwks.json', API_JWT_ISSUER: ISSUER })).toThrow(
      /API_JWKS_URL.*must be an https:\/\/ URL \(http:\/\/ only on loopback\)/,
    );
    expect(() => loadConfig({ API_JWKS_URL: 'https://login.example.test/jwks.json' })).toThrow(
      /API_JWT_ISSUER goes with API_JWKS_FILE or API_JWKS_URL/,
    );
    expect(loadConfig({ API_JWKS_URL: 'https://login.example.test/jwks.json', API_JWT_ISSUER: ISSUER }).api.jwksUrl).toBe(
      'https://login.example.test/jwks.json',
    );
  });
});
