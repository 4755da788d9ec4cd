/**
 * The runs for operators, behind the board's credentials (not the read API's
 * keys): `GET /api/v1/runs`, `GET /api/v1/runs/<id>` (JSON) and the pages
 * `/runs`, `/runs/<id>`. Also notes who retries a job on the board, so that
 * the job's next record in the run history says so.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import { errors } from '../api/router.js';
import { sendProblem } from '../api/problem.js';
import { RUN_ID, type RunAnswer, type RunsAnswer } from '../api/runs-schemas.js';
import { TASK_QUEUES, type TaskQueue } from '../queue/jobs.js';
import type { Queues } from '../queue/queues.js';
import { listRuns, runDetail } from '../state/run-list.js';
import type { SchedulePause, StateStore } from '../state/store.js';
import { boardAuth } from './auth.js';
import { PAGE_CSP, RUNS_CSS, runsPage, type PageContext } from './runs-page.js';
import { parseRunId, runsQuery } from './runs-query.js';

export const RUNS_PAGE_PATH = '/runs';
export const RUNS_API_PATH = '/api/v1/runs';
/** Runs on the page. */
const PAGE_RUNS = 20;

export interface RunsDeps {
  readonly config: Config;
  readonly log: Logger;
  readonly state: StateStore;
  readonly queues: Queues;
}

/** The schedule beside the runs: paused (since, by, reason) or not. */
function scheduleState(pause: SchedulePause | undefined): { paused: boolean; pausedAt?: number; pausedBy?: string; reason?: string } {
  if (!pause) return { paused: false };
  return { paused: true, pausedAt: pause.at, pausedBy: pause.by, ...(pause.reason ? { reason: pause.reason } : {}) };
}

type Handler = (req: Request, res: Response) => Promise<void>;
/** A route parameter as one string (Express types a wildcard's as a list). */
const param = (req: Request, name: string): string => String(req.params[name] ?? '');
const handle = (fn: Handler) => (req: Request, res: Response, next: NextFunction) => fn(req, res).catch(next);

export function runsRoutes(deps: RunsDeps, boardPath: string): Router {
  const { config, state } = deps;
  const auth = boardAuth(config, deps.log, { warn: false });
  const router = express.Router();
  const ctx: PageContext = { boardPath, timeZone: config.scheduleTz, basePath: RUNS_PAGE_PATH };
  const noStore = (res: Response): void => void res.setHeader('Cache-Control', 'no-store');

  const api = express.Router();
  api.use(auth);
  api.get(
    '/',
    handle(async (req, res) => {
      noStore(res);
      const [runs, pause] = await Promise.all([listRuns(state, runsQuery(req.query)), state.schedulePause()]);
      const body: RunsAnswer = { runs, schedule: scheduleState(pause) };
      res.json(body);
    }),
  );
  api.get(
    '/:id',
    handle(async (req, res) => {
      noStore(res);
      const run = await runDetail(state, parseRunId(param(req, 'id')));
      if (!run) {
        sendProblem(
          res,
          404,
          `run '${param(req, 'id')}' is not recorded (or older than RUNS_KEEP_DAYS=${config.runsKeepDays}): ` +
            `list the runs with GET ${RUNS_API_PATH}`,
        );
        return;
      }
      const body: RunAnswer = run;
      res.json(body);
    }),
  );
  api.use(errors(deps.log));
  router.use(RUNS_API_PATH, api);

  const page = express.Router();
  page.use(auth);
  page.get('/style.css', (_req, res) => {
    res.setHeader('Cache-Control', 'private, max-age=300');
    res.type('text/css').send(RUNS_CSS);
  });
  const html = (res: Response, status: number, body: string): void => {
    res.setHeader('Content-Security-Policy', PAGE_CSP);
    noStore(res);
    res.status(status).type('html').send(body);
  };
  page.get(
    '/',
    handle(async (_req, res) => {
      const [runs, pause] = await Promise.all([listRuns(state, { limit: PAGE_RUNS }), state.schedulePause()]);
      const withTasks = await Promise.all(runs.map(async (run) => ({ run, tasks: await state.history.tasks(run.runId) })));
      html(res, 200, runsPage('Runs', withTasks, ctx, `no runs recorded (runs are kept ${config.runsKeepDays} days)`, pause));
    }),
  );
  page.get(
    '/:id',
    handle(async (req, res) => {
      const id = param(req, 'id');
      const run = RUN_ID.safeParse(id).success ? await runDetail(state, id) : undefined;
      html(
        res,
        run ? 200 : 404,
        runsPage(
          `Run ${id}`,
          run ? [{ run, tasks: run.tasks }] : [],
          ctx,
          `run '${id}' is not recorded (or older than RUNS_KEEP_DAYS=${config.runsKeepDays})`,
        ),
      );
    }),
  );
  router.use(RUNS_PAGE_PATH, page);

  return router;
}

/** Who retries on the board: mounted after the board's same-origin rule, before the board itself. */
export function boardRetryNotes(deps: RunsDeps, boardPath: string): Router {
  const auth = boardAuth(deps.config, deps.log, { warn: false });
  const router = express.Router();
  router.put(
    `${boardPath}/api/queues/:queue/:jobId/retry`,
    auth,
    noteRetry(deps, (req) => [param(req, 'jobId')]),
  );
  router.put(
    `${boardPath}/api/queues/:queue/retry/:status`,
    auth,
    noteRetry(deps, async (req, queue) => {
      const status = param(req, 'status');
      if (status !== 'failed' && status !== 'completed') return [];
      return (await deps.queues[queue].getJobs([status])).map((j) => j.id ?? '');
    }),
  );
  return router;
}

/**
 * Before the board retries a job of a run (or every failed job of a queue):
 * mark it retried by this operator; the mark is removed again when the board
 * refuses. Then on to the board, which does the retry.
 */
function noteRetry(deps: RunsDeps, ids: (req: Request, queue: TaskQueue) => string[] | Promise<string[]>) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const queue = param(req, 'queue') as TaskQueue;
    if (!TASK_QUEUES.includes(queue)) return next();
    const note = async (): Promise<void> => {
      const marked = (await ids(req, queue)).filter((id) => id !== '');
      await deps.state.retries.mark(queue, marked, { at: Date.now(), by: String(res.locals.operator ?? 'unknown') });
      res.on('finish', () => {
        if (res.statusCode < 400) return;
        deps.state.retries.unmark(queue, marked).catch((err: unknown) => deps.log.warn({ err, queue }, 'could not remove a retry mark'));
      });
    };
    // A mark that cannot be written does not stop the retry: its record just will not say who retried.
    note()
      .catch((err: unknown) => deps.log.warn({ err, queue }, 'could not note who retried on the board'))
      .finally(() => next());
  };
}
