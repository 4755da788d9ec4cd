/**
 * HTTP hardening for every role: security headers on every response, and a
 * same-origin rule for anything that changes state (the board's retry, add,
 * clean, remove...). A browser attaches basic-auth credentials to cross-site
 * requests by itself; it always sends `Origin` on a POST/PUT/DELETE, and it
 * cannot send a JSON body cross-site without a CORS preflight, which is never
 * granted here. Requests carrying `Authorization: Bearer` are not held to the
 * origin rule: a browser never adds a bearer token on its own.
 */
import type { Request, RequestHandler } from 'express';
import { sendProblem } from '../api/problem.js';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** HSTS on HTTPS responses: a year, subdomains included. */
export const HSTS = 'max-age=31536000; includeSubDomains';

/** nosniff, no framing, no referrer outside the site; HSTS when the request came over HTTPS (directly or per a trusted proxy). */
export function securityHeaders(): RequestHandler {
  return (req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'same-origin');
    if (req.secure) res.setHeader('Strict-Transport-Security', HSTS);
    next();
  };
}

/** The origin this request was addressed to (behind a trusted proxy: per its X-Forwarded-Proto and X-Forwarded-Host). */
function ownOrigin(req: Request): string | undefined {
  try {
    return new URL(`${req.protocol}://${req.host}`).origin;
  } catch {
    return undefined;
  }
}

/** The origin a browser says the request came from: `Origin`, else the origin of `Referer`. */
function claimedOrigin(req: Request): string | undefined {
  const origin = req.get('origin');
  if (origin !== undefined) return origin;
  const referer = req.get('referer');
  if (referer === undefined) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return 'an unreadable Referer';
  }
}

/** A body that is not JSON (a form, text/plain: what a cross-site page can send without asking). */
function hasNonJsonBody(req: Request): boolean {
  const length = Number(req.get('content-length') ?? 0);
  const hasBody = length > 0 || req.get('transfer-encoding') !== undefined;
  return hasBody && !/^application\/([\w.+-]*\+)?json\b/i.test(req.get('content-type') ?? '');
}

/** Refuse state-changing requests from another site (403) and non-JSON bodies (415), each a one-line problem+json. */
export function sameOriginWrites(): RequestHandler {
  return (req, res, next) => {
    if (READ_METHODS.has(req.method)) return next();
    if (!/^bearer /i.test(req.get('authorization') ?? '')) {
      const own = ownOrigin(req);
      const claimed = claimedOrigin(req);
      if (own === undefined || claimed !== own) {
        sendProblem(
          res,
          403,
          `cross-site request refused: a ${req.method} needs an Origin or Referer of ${own ?? 'this site'} ` +
            `(got ${claimed ?? 'none'}); act from the board's own page, or authenticate with a bearer token`,
        );
        return;
      }
    }
    if (hasNonJsonBody(req)) {
      sendProblem(res, 415, `a ${req.method} body must be JSON: send Content-Type: application/json`);
      return;
    }
    next();
  };
}

/** 404 as a one-line problem+json, keeping the security headers. */
export function notFound(): RequestHandler {
  return (req, res) => {
    sendProblem(res, 404, `no such page: ${req.method} ${req.path}`);
  };
}
