/** HTTP for every role: /healthz, /readyz, /metrics; the web role adds Bull Board (authenticated). */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import type { Metrics } from '../metrics/index.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import type { Queues } from '../queue/queues.js';
import type { StateStore } from '../state/store.js';
import { auditLog, boardAuth } from './auth.js';
import { boardRetryNotes, runsRoutes } from './runs-routes.js';
import { notFound, sameOriginWrites, securityHeaders } from './security.js';
import { API_PATH } from '../api/router.js';
import { missingDuckDbFile } from '../warehouse/duckdb-errors.js';
import { boundedPing, type RedisHealth } from '../queue/redis-health.js';
import { sendProblem } from '../api/problem.js';

export const BOARD_PATH = '/admin/queues';
/** The warehouse must have answered a worker's check within this long (or two check intervals) for /readyz. */
export const WAREHOUSE_FRESH_MS = 60_000;

export interface WebDeps {
  readonly config: Config;
  readonly log: Logger;
  readonly redis: Redis;
  /** The process's Redis watcher: while it sees an outage, probes and the board answer 503 at once. */
  readonly health?: RedisHealth;
  readonly queues: Queues;
  readonly state: StateStore;
  readonly metrics: Pick<Metrics, 'scrape' | 'registry'>;
  /** Mount Bull Board (the web role); other roles serve probes and metrics only. */
  readonly board: boolean;
  /** The read API (web role), mounted at /api/v1. */
  readonly api?: express.Router;
}

export function createApp(deps: WebDeps): Express {
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Behind a proxy (ingress) that terminates TLS: X-Forwarded-Proto/Host say how the client addressed us.
  app.set('trust proxy', config.trustProxy);
  app.use(securityHeaders());
  // First: liveness never waits on Redis, the engine or another route.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Read-only: the runs page and /api/v1/runs (operators), then the read API (another method is its own 405).
  if (deps.board) app.use(runsRoutes(deps, BOARD_PATH));
  if (deps.api) app.use(API_PATH, deps.api);
  // The writes (the board's) need a same-origin request; who retries is noted before the board acts.
  app.use(sameOriginWrites());
  if (deps.board) app.use(boardRetryNotes(deps, BOARD_PATH));
  // Where a person landing on the service finds everything: the API's index lists the API, the board and /metrics.
  if (deps.api) app.get('/', (_req, res) => res.redirect(302, `${API_PATH}/`));

  app.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    // Bounded: the connection waits for Redis forever (BullMQ needs it), a probe must answer.
    const redisProblem = await redisUnusable(deps);
    checks.redis = redisProblem === undefined ? 'ok' : `unreachable: ${redisProblem}`;
    // A deleted database file is not ready, whatever the last check said.
    const missing = config.warehouse === 'duckdb' ? missingDuckDbFile(config.duckdbPath) : undefined;
    if (missing) checks.warehouse_file = missing;
    if (config.warehouseCheckIntervalMs > 0) {
      const okAt = checks.redis === 'ok' ? await deps.state.warehouseOkAt().catch(() => undefined) : undefined;
      const freshMs = Math.max(WAREHOUSE_FRESH_MS, 2 * config.warehouseCheckIntervalMs);
      checks.warehouse =
        okAt === undefined
          ? 'no answer recorded yet'
          : Date.now() - okAt <= freshMs
            ? 'ok'
            : `last answer ${Math.round((Date.now() - okAt) / 1000)}s ago`;
    }
    const ready = Object.values(checks).every((v) => v === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });

  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.scrape());
  });
  if (deps.board) mountBoard(app, deps);
  // Answered here rather than by Express's default page, which would replace the security headers.
  app.use(notFound());
  return app;
}

function mountBoard(app: Express, deps: WebDeps): void {
  const { config, log, queues } = deps;
  const board = new ExpressAdapter();
  board.setBasePath(BOARD_PATH);
  createBullBoard({
    queues: Object.values(queues).map((q) => new BullMQAdapter(q, { readOnlyMode: config.board.readOnly })),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'crm-materializer' } },
  });
  const boardApp = board.getRouter() as express.Express;
  boardApp.disable('x-powered-by'); // the board is an express app of its own
  app.use(BOARD_PATH, boardAuth(config, log), auditLog(log), redisGate(deps), boardApp);
}

/** Why Redis cannot be used now (the watcher saw an outage, or a PING got no answer in time), or undefined. */
async function redisUnusable({ redis, health }: Pick<WebDeps, 'redis' | 'health'>): Promise<string | undefined> {
  if (health && !health.up) return 'an outage is in progress (the connection gets no answer)';
  return boundedPing(redis);
}

/**
 * The board's API routes read Redis on every call: while Redis does not
 * answer they would hang, so they answer 503 at once (its pages and assets
 * need no Redis and are served as usual).
 */
function redisGate(deps: WebDeps): express.RequestHandler {
  return (req, res, next) => {
    if (!req.path.startsWith('/api/')) {
      next();
      return;
    }
    redisUnusable(deps).then(
      (problem) => {
        if (problem === undefined) {
          next();
          return;
        }
        sendProblem(res, 503, `Redis is unreachable (${problem}): the board needs it; try again once /readyz answers 200`, {
          retryAfterSeconds: 5,
        });
      },
      (e: unknown) => next(e),
    );
  };
}
