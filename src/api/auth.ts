/**
 * Credentials for the read API: an API key (`Authorization: Bearer <key>` or
 * `X-API-Key: <key>`), compared as SHA-256 digests in constant time against
 * every configured key; or a JWT bearer token (HS256/RS256) verified against
 * the JWKS file or the identity provider's JWKS URL (jose's remote key set:
 * fetch timeout, cooldown, cache, fetched again for an unknown `kid` so a key
 * rotation needs no restart), the issuer (and audience when set), with an
 * expiry required.
 * Anything else: 401. Credentials are never logged.
 */
import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { createRemoteJWKSet, jwtVerify, type FlattenedJWSInput, type JWTHeaderParameters } from 'jose';
import type { ApiConfig } from '../config/index.js';
import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { sha256 } from '../config/parsers.js';
import { sendProblem } from './problem.js';
import { JWT_ALGORITHMS, loadJwks, selectKey, type VerificationKey } from '../config/jwks.js';

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const CLOCK_TOLERANCE_SECONDS = 5;
/** API_JWKS_URL: the fetched keys are used this long before being fetched again. */
export const JWKS_CACHE_MAX_AGE_MS = 600_000;

export function apiAuth(api: ApiConfig, log: Logger): RequestHandler {
  if (api.auth === 'off') {
    log.warn('API_AUTH=off: the read API is served without credentials; anyone who reaches the port can read the dashboard data');
    return (req, res, next) => {
      res.locals.principal = 'anonymous';
      res.locals.client = `ip:${req.ip ?? 'unknown'}`;
      next();
    };
  }
  const hashes = api.keyHashes.map((h) => Buffer.from(h, 'hex'));
  const keys: VerificationKey[] = api.jwksFile !== undefined ? loadJwks(api.jwksFile) : [];
  // Asymmetric keys only from a URL (RS256): a shared HMAC secret is never fetched over the network.
  const remote =
    api.jwksUrl !== undefined
      ? createRemoteJWKSet(new URL(api.jwksUrl), {
          timeoutDuration: api.jwksTimeoutMs,
          cooldownDuration: api.jwksCooldownMs,
          cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
        })
      : undefined;
  if (hashes.length === 0 && keys.length === 0 && !remote) {
    throw new UsageError(
      'the web role needs read API credentials: set API_KEYS, or API_JWT_ISSUER with API_JWKS_FILE or ' +
        'API_JWKS_URL (or API_AUTH=off for a trusted network)',
    );
  }
  let jwksFailing = false;

  /** The presented key's digest when it is one of the keys (it also names the client), else undefined. */
  const keyDigest = (presented: string): Buffer | undefined => {
    const digest = sha256(presented);
    let match = false;
    for (const h of hashes) match = timingSafeEqual(digest, h) || match; // every key compared, no early exit
    return match ? digest : undefined;
  };

  const jwtSubject = async (token: string): Promise<string | undefined> => {
    if ((keys.length === 0 && !remote) || !JWT.test(token)) return undefined;
    try {
      const { payload } = await jwtVerify(
        token,
        async (header: JWTHeaderParameters, input: FlattenedJWSInput) => {
          const key = selectKey(keys, header.alg, header.kid);
          if (key) return key;
          if (!remote || header.alg !== 'RS256') throw new Error('no key for this token');
          try {
            const fetched = await remote(header, input);
            jwksFailing = false;
            return fetched;
          } catch (e) {
            // The provider unreachable (not merely an unknown kid): one warning until it answers again.
            if (
              e instanceof Error &&
              /timeout|fetch|JWKSInvalid|ERR_JWKS_TIMEOUT|ECONN/i.test(`${e.name} ${(e as { code?: string }).code ?? ''} ${e.message}`) &&
              !jwksFailing
            ) {
              jwksFailing = true;
              log.warn(
                { err: e.message },
                'read API: API_JWKS_URL could not be fetched: JWTs it would verify are refused until it answers',
              );
            }
            throw e;
          }
        },
        {
          issuer: api.jwtIssuer,
          audience: api.jwtAudience,
          algorithms: [...JWT_ALGORITHMS],
          requiredClaims: ['exp'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        },
      );
      return typeof payload.sub === 'string' ? payload.sub : 'jwt';
    } catch {
      return undefined;
    }
  };

  return async (req, res, next) => {
    const [scheme, value] = (req.headers.authorization ?? '').split(' ', 2);
    const bearer = scheme?.toLowerCase() === 'bearer' && value ? value : undefined;
    const header = req.headers['x-api-key'];
    const presented = [typeof header === 'string' ? header : undefined, bearer].filter((k): k is string => k !== undefined);
    let digest: Buffer | undefined;
    for (const p of hashes.length > 0 ? presented : []) if ((digest = keyDigest(p)) !== undefined) break;
    if (digest !== undefined) {
      res.locals.principal = 'api-key';
      // Who is rate limited: each key on its own (a digest prefix, never the key).
      res.locals.client = `key:${digest.toString('hex').slice(0, 16)}`;
      return next();
    }
    const subject = bearer !== undefined ? await jwtSubject(bearer) : undefined;
    if (subject !== undefined) {
      res.locals.principal = subject;
      res.locals.client = `jwt:${sha256(subject).toString('hex').slice(0, 16)}`;
      return next();
    }
    sendProblem(res, 401, 'authentication required: Authorization: Bearer <API key or JWT>, or X-API-Key: <API key>', {
      headers: { 'WWW-Authenticate': 'Bearer realm="crm-materializer"' },
    });
  };
}
