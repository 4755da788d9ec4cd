/**
 * Credentials for the read API: an API key (`Authorization: Bearer <key>` or
 * `X-API-Key: <key>`), compared as SHA-256 digests in constant time against
 * every configured key; or a JWT bearer token (HS256/RS256) verified against
 * the JWKS file, the issuer (and audience when set), with an expiry required.
 * Anything else: 401. Credentials are never logged.
 */
import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { jwtVerify, type JWTHeaderParameters } from 'jose';
import type { ApiConfig } from '../config/index.js';
import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { sha256 } from '../config/parsers.js';
import { JWT_ALGORITHMS, loadJwks, selectKey, type VerificationKey } from '../config/jwks.js';

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const CLOCK_TOLERANCE_SECONDS = 5;

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
  if (hashes.length === 0 && keys.length === 0) {
    throw new UsageError('the web role needs read API credentials: set API_KEYS, or API_JWKS_FILE and API_JWT_ISSUER (or API_AUTH=off for a trusted network)');
  }

  const isKey = (presented: string): boolean => {
    const digest = sha256(presented);
    let match = false;
    for (const h of hashes) match = timingSafeEqual(digest, h) || match; // every key compared, no early exit
    return match;
  };

  const jwtSubject = async (token: string): Promise<string | undefined> => {
    if (keys.length === 0 || !JWT.test(token)) return undefined;
    try {
      const { payload } = await jwtVerify(
        token,
        (header: JWTHeaderParameters) => {
          const key = selectKey(keys, header.alg, header.kid);
          if (!key) throw new Error('no key for this token');
          return key;
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
    const key = hashes.length > 0 ? presented.find(isKey) : undefined;
    if (key !== undefined) {
      res.locals.principal = 'api-key';
      // Who is rate limited: each key on its own (a digest prefix, never the key).
      res.locals.client = `key:${sha256(key).toString('hex').slice(0, 16)}`;
      return next();
    }
    const subject = bearer !== undefined ? await jwtSubject(bearer) : undefined;
    if (subject !== undefined) {
      res.locals.principal = subject;
      res.locals.client = `jwt:${sha256(subject).toString('hex').slice(0, 16)}`;
      return next();
    }
    res.setHeader('WWW-Authenticate', 'Bearer realm="crm-materializer"');
    res.status(401).json({ error: 'authentication required: Authorization: Bearer <API key or JWT>, or X-API-Key: <API key>' });
  };
}
