/** Parsers of the read API's credentials variables (see src/config/vars.ts). */
import { createHash } from 'node:crypto';
import { loadJwks } from './jwks.js';

export const MIN_API_KEY_LENGTH = 16;

export const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** API_KEYS → SHA-256 digests (hex): the keys themselves are not kept. */
export const apiKeyHashes = (raw: string): readonly string[] => {
  const keys = raw
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  if (keys.length === 0) throw new RangeError('must list at least one key (comma-separated)');
  if (keys.some((k) => k.length < MIN_API_KEY_LENGTH || /\s/.test(k))) {
    throw new RangeError(
      `must be comma-separated keys of at least ${MIN_API_KEY_LENGTH} characters without spaces, e.g. ` +
        `generated with \`openssl rand -hex 24\``,
    );
  }
  return Object.freeze([...new Set(keys)].map((k) => sha256(k).toString('hex')));
};

/** API_JWKS_URL: an https URL (http only on loopback, e.g. a local identity provider in development). */
export const jwksUrl = (raw: string): string => {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new RangeError('must be a URL, e.g. https://login.example.com/.well-known/jwks.json');
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new RangeError('must be an https:// URL (http:// only on loopback)');
  if (url.username !== '' || url.password !== '') throw new RangeError('must not carry credentials');
  return url.toString();
};

/** API_JWKS_FILE: a readable JWKS whose every key is usable; returns the path. */
export const jwksFile = (raw: string): string => {
  const path = raw.trim();
  loadJwks(path);
  return path;
};
