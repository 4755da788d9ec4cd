/**
 * Credentials for the board and every mutating endpoint: HTTP basic
 * (BOARD_USER/BOARD_PASSWORD) or a bearer token (BOARD_TOKEN). Compared in
 * constant time; secrets are never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Config } from '../config/index.js';
import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { sendProblem } from '../api/problem.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
const same = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b));

/** Who made a request: the basic-auth user, 'token' for the bearer, or 'anonymous' when auth is off. */
export type Operator = string;

/** `warn: false` for a second guard of the same credentials (the runs routes): the board's logs the BOARD_AUTH=off warning once. */
export function boardAuth(config: Config, log: Logger, opts: { warn?: boolean } = {}): RequestHandler {
  const { user, password, token, auth } = config.board;
  const hasCredentials = (user !== undefined && password !== undefined) || token !== undefined;
  if (auth === 'off') {
    if (opts.warn !== false)
      log.warn('BOARD_AUTH=off: Bull Board is served without credentials; anyone who reaches the port can retry, add and remove jobs');
    return (_req, res, next) => {
      res.locals.operator = 'anonymous';
      next();
    };
  }
  if (!hasCredentials) {
    throw new UsageError(
      'the web role needs board credentials: set BOARD_USER and BOARD_PASSWORD, or BOARD_TOKEN (or BOARD_AUTH=off for a trusted network)',
    );
  }
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? '';
    const [scheme, value = ''] = header.split(' ', 2);
    if (scheme?.toLowerCase() === 'bearer' && token !== undefined && same(value, token)) {
      res.locals.operator = 'token';
      return next();
    }
    if (scheme?.toLowerCase() === 'basic' && user !== undefined && password !== undefined) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const sep = decoded.indexOf(':');
      if (sep >= 0 && same(decoded.slice(0, sep), user) && same(decoded.slice(sep + 1), password)) {
        res.locals.operator = user;
        return next();
      }
    }
    sendProblem(res, 401, 'authentication required: basic (BOARD_USER/BOARD_PASSWORD) or bearer (BOARD_TOKEN)', {
      headers: { 'WWW-Authenticate': 'Basic realm="crm-materializer", charset="UTF-8"' },
    });
  };
}

/** Log every operator action on the board (anything but a read): who, what, outcome. */
export function auditLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    res.on('finish', () => {
      log.info(
        { operator: res.locals.operator as string | undefined, method: req.method, action: req.path, status: res.statusCode },
        'board action',
      );
    });
    next();
  };
}
