/**
 * Sending a JSON answer: a weak ETag of the uncompressed body (the same
 * answer has the same tag in every encoding, so `If-None-Match` works
 * whatever the client accepts), 304 when it matches, and gzip or brotli
 * (node:zlib) for bodies over 1 KB when the client's Accept-Encoding asks
 * for one. `Vary` names every request header the answer depends on.
 */
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Request, Response } from 'express';

/** Bodies at most this long are sent as they are (compression would save little). */
export const COMPRESS_MIN_BYTES = 1024;
/** Request headers an API answer depends on. */
export const VARY = 'Accept-Encoding, Authorization, X-API-Key';

type Encoding = 'br' | 'gzip' | 'identity';

/** The encoding to use per Accept-Encoding: brotli, else gzip, when allowed (q > 0). */
export function pickEncoding(header: string | undefined): Encoding {
  const allowed = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    if (name === '') continue;
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    allowed.set(name, q === undefined ? 1 : Number(q));
  }
  const ok = (name: string): boolean => (allowed.get(name) ?? allowed.get('*') ?? 0) > 0;
  if (ok('br')) return 'br';
  if (ok('gzip')) return 'gzip';
  return 'identity';
}

function compress(body: Buffer, encoding: Encoding): Buffer {
  if (encoding === 'br')
    return brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
  if (encoding === 'gzip') return gzipSync(body, { level: 6 });
  return body;
}

/**
 * The ETag of a body. The first tier of the cache hands out the same Buffer on
 * every hit, so its tag is computed once (remembered while the Buffer lives).
 */
const tags = new WeakMap<Buffer, string>();
function etagOf(bytes: Buffer): string {
  let tag = tags.get(bytes);
  if (tag === undefined) {
    tag = `W/"${createHash('sha1').update(bytes).digest('base64url')}"`;
    tags.set(bytes, tag);
  }
  return tag;
}

export function sendJson(req: Request, res: Response, body: string | Buffer, contentType = 'application/json; charset=utf-8'): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Vary', VARY);
  res.setHeader('ETag', etagOf(bytes));
  if (req.fresh) {
    res.status(304).end();
    return;
  }
  const encoding = bytes.length > COMPRESS_MIN_BYTES ? pickEncoding(req.get('accept-encoding')) : 'identity';
  if (encoding !== 'identity') res.setHeader('Content-Encoding', encoding);
  // Written as is: express's res.send would look at the body and at the request's freshness again.
  const out = compress(bytes, encoding);
  res.setHeader('Content-Length', out.length);
  if (req.method === 'HEAD') res.end();
  else res.end(out);
}
