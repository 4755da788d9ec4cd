/**
 * The keys JWTs are verified with, from a JWKS file (API_JWKS_FILE): `oct`
 * keys verify HS256, `RSA` keys RS256. Each key is bound to its algorithm,
 * so a token can never make an RSA public key act as an HMAC secret.
 */
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type JwtAlgorithm = 'HS256' | 'RS256';
export const JWT_ALGORITHMS: readonly JwtAlgorithm[] = ['HS256', 'RS256'];

export interface VerificationKey {
  readonly kid: string | undefined;
  readonly alg: JwtAlgorithm;
  readonly key: KeyObject;
}

interface Jwk {
  readonly kty?: unknown;
  readonly kid?: unknown;
  readonly alg?: unknown;
  readonly use?: unknown;
  readonly k?: unknown;
  readonly [name: string]: unknown;
}

/** Reads and checks the file; throws a RangeError saying what is wrong (never echoing key material). */
export function loadJwks(path: string): VerificationKey[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RangeError(
      code ? `must be a readable JWKS file (${code})` : 'must be a JSON Web Key Set ({"keys": [...]}): the file is not JSON',
    );
  }
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new RangeError('must be a JSON Web Key Set with at least one key ({"keys": [...]})');
  return keys.map((jwk: unknown, i) => {
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new RangeError(`key #${i + 1}: must be a JSON object`);
    return toKey(jwk as Jwk, i);
  });
}

function toKey(jwk: Jwk, index: number): VerificationKey {
  const where = `key #${index + 1}${typeof jwk.kid === 'string' ? ` (kid ${jwk.kid})` : ''}`;
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new RangeError(`${where}: "use" must be "sig"`);
  const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
  if (jwk.kty === 'oct') {
    if (jwk.alg !== undefined && jwk.alg !== 'HS256') throw new RangeError(`${where}: an "oct" key must have "alg": "HS256"`);
    if (typeof jwk.k !== 'string' || Buffer.from(jwk.k, 'base64url').length < 32)
      throw new RangeError(`${where}: an "oct" key needs "k" of at least 32 bytes (base64url)`);
    return { kid, alg: 'HS256', key: createSecretKey(Buffer.from(jwk.k, 'base64url')) };
  }
  if (jwk.kty === 'RSA') {
    if (jwk.alg !== undefined && jwk.alg !== 'RS256') throw new RangeError(`${where}: an "RSA" key must have "alg": "RS256"`);
    const { n, e } = jwk;
    if (typeof n !== 'string' || typeof e !== 'string') throw new RangeError(`${where}: an "RSA" key needs "n" and "e"`);
    try {
      // Only the public part is kept, even if the file holds a private key.
      return { kid, alg: 'RS256', key: createPublicKey({ key: { kty: 'RSA', n, e }, format: 'jwk' }) };
    } catch {
      throw new RangeError(`${where}: not a valid RSA public key`);
    }
  }
  throw new RangeError(`${where}: "kty" must be "oct" (HS256) or "RSA" (RS256)`);
}

/** The key for a token's header: by kid when given, else the only key of the algorithm. */
export function selectKey(keys: readonly VerificationKey[], alg: unknown, kid: unknown): KeyObject | undefined {
  const candidates = keys.filter((k) => k.alg === alg && (kid === undefined || k.kid === kid));
  return candidates.length === 1 ? candidates[0]?.key : undefined;
}
