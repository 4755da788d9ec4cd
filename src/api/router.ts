/**
 * The read API's routes under /api/v1: metrics, priorities, actions (cached
 * reads of the materialized tables), freshness (recorded state), and, without
 * credentials, the index and the OpenAPI document. Answers are JSON (gzip or
 * brotli when asked, respond.ts); every error is problem+json (problem.ts).
 */
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Logger } from '../log.js';
import type { ApiMetrics, ApiRoute } from '../metrics/api-metrics.js';
import type { CacheOutcome } from './cache.js';
import { openApiDocument } from './openapi.js';
import { ParamError, actionsQuery, freshnessQuery, metricsQuery, prioritiesQuery } from './params.js';
import { ApiUnavailableError, PROBLEM_CONTENT_TYPE, sendProblem } from './problem.js';
import type { ApiReads } from './reads.js';
import { sendJson } from './respond.js';
import { packageVersion } from '../version.js';

export const API_PATH = '/api/v1';

const ROUTES: Readonly<Record<string, ApiRoute>> = {
  '/metrics': 'metrics',
  '/priorities': 'priorities',
  '/actions': 'actions',
  '/freshness': 'freshness',
};
/** Every path the API answers, each with GET (and HEAD) only. */
const PATHS = new Set(['/', '/openapi.json', ...Object.keys(ROUTES)]);
const ALLOW = 'GET, HEAD';

export interface RouterDeps {
  readonly reads: ApiReads;
  readonly freshness: () => Promise<object>;
  readonly auth: RequestHandler;
  /** The in-flight cap (in-flight.ts), before authentication: a refused request costs nothing else. */
  readonly inFlight?: RequestHandler;
  /** Per-client rate limit, after authentication (it knows the client then). */
  readonly limit?: RequestHandler;
  readonly log: Logger;
  readonly metrics?: ApiMetrics;
  /** Where the board is, for the index. */
  readonly boardPath?: string;
}

export function apiRouter(deps: RouterDeps): Router {
  const router = express.Router({ strict: true });
  router.use(observe(deps.metrics), methods(), acceptable());

  // No credentials needed: they describe the API, not the data.
  const openapi = JSON.stringify(openApiDocument(packageVersion()));
  router.get('/openapi.json', (req, res) => sendJson(req, res, openapi));
  const index = JSON.stringify({
    name: 'crm-materializer read API',
    openapi: `${API_PATH}/openapi.json`,
    endpoints: [
      { path: `${API_PATH}/metrics`, summary: 'crm_metrics_daily over a date range: rows, totals, rates' },
      { path: `${API_PATH}/priorities`, summary: 'open actions of a day per priority category' },
      { path: `${API_PATH}/actions`, summary: 'open actions of a day, a page at a time' },
      { path: `${API_PATH}/freshness`, summary: 'per table: last refresh, lag, validation status' },
    ],
    board: deps.boardPath ?? '/admin/queues',
    metrics: '/metrics',
    health: '/healthz',
  });
  router.get('/', (req, res) => sendJson(req, res, index));

  // The answers above are fixed strings; from here on Redis and the warehouse work: capped per process.
  if (deps.inFlight) router.use(deps.inFlight);
  router.use(deps.auth);
  if (deps.limit) router.use(deps.limit);

  const cached =
    (read: (req: Request) => Promise<CacheOutcome>): RequestHandler =>
    async (req, res) => {
      const { body, result } = await read(req);
      res.setHeader('X-Cache', result);
      if (result === 'stale') res.setHeader('Warning', '110 - "Response is Stale"');
      res.setHeader('Cache-Control', 'private, no-cache');
      sendJson(req, res, body);
    };
  router.get(
    '/metrics',
    cached((req) => deps.reads.metrics(metricsQuery(req.query))),
  );
  router.get(
    '/priorities',
    cached((req) => deps.reads.priorities(prioritiesQuery(req.query))),
  );
  router.get(
    '/actions',
    cached((req) => deps.reads.actions(actionsQuery(req.query))),
  );
  router.get('/freshness', async (req, res) => {
    freshnessQuery(req.query);
    res.setHeader('Cache-Control', 'private, no-cache');
    sendJson(req, res, JSON.stringify(await deps.freshness()));
  });
  router.use((req, res) => {
    sendProblem(
      res,
      404,
      `no such endpoint: ${req.method} ${API_PATH}${req.path}; the API is GET ${API_PATH}/metrics, ` +
        `/priorities, /actions, /freshness (see ${API_PATH}/openapi.json)`,
    );
  });
  router.use(errors(deps.log));
  return router;
}

/** 405 with Allow for another method than GET or HEAD on a path the API answers. */
function methods(): RequestHandler {
  return (req, res, next) => {
    if (!PATHS.has(req.path) || req.method === 'GET' || req.method === 'HEAD') return next();
    sendProblem(res, 405, `${req.method} is not allowed on ${API_PATH}${req.path}: the read API answers GET (and HEAD) only`, {
      headers: { Allow: ALLOW },
    });
  };
}

/** 406 when the client accepts neither JSON nor problem+json. */
function acceptable(): RequestHandler {
  return (req, res, next) => {
    if (req.accepts(['application/json', PROBLEM_CONTENT_TYPE]) !== false) return next();
    sendProblem(res, 406, `the read API answers application/json (errors: ${PROBLEM_CONTENT_TYPE}); send Accept: application/json`);
  };
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

export function errors(log: Logger): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof ParamError) {
      sendProblem(res, 400, err.message, { parameter: err.parameter });
    } else if (err instanceof ApiUnavailableError) {
      sendProblem(res, 503, err.message, { retryAfterSeconds: err.retryAfterSeconds });
    } else {
      log.error({ err, path: req.path }, 'read API request failed');
      sendProblem(res, 500, 'internal error: see the service log');
    }
  };
}
