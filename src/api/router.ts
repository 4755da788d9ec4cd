/**
 * The read API's routes under /api/v1: metrics, priorities, actions (cached
 * reads of the materialized tables) and freshness (recorded state). Every
 * answer is JSON; errors are `{ "error": ... }`, with `parameter` on a 400.
 */
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Logger } from '../log.js';
import type { ApiMetrics, ApiRoute } from '../metrics/api-metrics.js';
import { ApiUnavailableError, type CacheOutcome } from './cache.js';
import { ParamError, actionsQuery, metricsQuery, prioritiesQuery } from './params.js';
import type { ApiReads } from './reads.js';

export const API_PATH = '/api/v1';

const ROUTES: Readonly<Record<string, ApiRoute>> = { '/metrics': 'metrics', '/priorities': 'priorities', '/actions': 'actions', '/freshness': 'freshness' };

export interface RouterDeps {
  readonly reads: ApiReads;
  readonly freshness: () => Promise<object>;
  readonly auth: RequestHandler;
  /** Per-client rate limit, after authentication (it knows the client then). */
  readonly limit?: RequestHandler;
  readonly log: Logger;
  readonly metrics?: ApiMetrics;
}

export function apiRouter(deps: RouterDeps): Router {
  const router = express.Router();
  router.use(observe(deps.metrics));
  router.use(deps.auth);
  if (deps.limit) router.use(deps.limit);

  const cached = (read: (req: Request) => Promise<CacheOutcome>): RequestHandler => async (req, res) => {
    const { body, result } = await read(req);
    res.setHeader('X-Cache', result);
    if (result === 'stale') res.setHeader('Warning', '110 - "Response is Stale"');
    res.setHeader('Cache-Control', 'private, no-cache');
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.send(body);
  };
  router.get('/metrics', cached((req) => deps.reads.metrics(metricsQuery(req.query))));
  router.get('/priorities', cached((req) => deps.reads.priorities(prioritiesQuery(req.query))));
  router.get('/actions', cached((req) => deps.reads.actions(actionsQuery(req.query))));
  router.get('/freshness', async (req, res) => {
    const [unknown] = Object.keys(req.query);
    if (unknown !== undefined) throw new ParamError(unknown, `unknown parameter ${unknown}: this endpoint takes none`);
    res.setHeader('Cache-Control', 'private, no-cache');
    res.json(await deps.freshness());
  });
  router.use((_req, res) => {
    res.status(404).json({ error: 'no such endpoint: GET /api/v1/metrics, /priorities, /actions or /freshness' });
  });
  router.use(errors(deps.log));
  return router;
}

/** Requests by route and status, and their duration. */
function observe(metrics: ApiMetrics | undefined): RequestHandler {
  return (req, res, next) => {
    if (!metrics) return next();
    const started = performance.now();
    const route = ROUTES[req.path] ?? 'other';
    res.once('finish', () => metrics.request(route, res.statusCode, (performance.now() - started) / 1000));
    next();
  };
}

function errors(log: Logger): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof ParamError) {
      res.status(400).json({ error: err.message, parameter: err.parameter });
    } else if (err instanceof ApiUnavailableError) {
      res.setHeader('Retry-After', String(err.retryAfterSeconds));
      res.status(503).json({ error: err.message });
    } else {
      log.error({ err, path: req.path }, 'read API request failed');
      res.status(500).json({ error: 'internal error: see the service log' });
    }
  };
}
