/**
 * The operators' run endpoints (`GET /api/v1/runs`, `GET /api/v1/runs/<id>`,
 * served by web/runs-routes.ts behind the board's credentials) as zod
 * schemas: the query they accept and the bodies they answer with. openapi.ts
 * documents them from these, and the routes type what they send with them
 * (a field added to a run record without its schema fails to compile).
 */
import { z } from 'zod';
import { RUN_ID_SCHEMA } from '../queue/jobs.js';
import { RUN_KINDS } from '../state/run-list.js';
import { RUN_TRIGGERS } from '../state/store.js';

export const DEFAULT_RUNS_LIMIT = 20;
export const MAX_RUNS_LIMIT = 500;

const ms = z.number().int().nonnegative().meta({ description: 'Unix time in milliseconds.' });

/** The query parameters of GET /runs, each validated alone (web/runs-query.ts gives a bad one its own message). */
export const RUNS_PARAMS = {
  date: z.iso.date().meta({ description: 'Only the runs for this reference date D.', examples: ['2026-11-29'] }),
  limit: z
    .string()
    .regex(/^(?:[1-9]|[1-9][0-9]|[1-4][0-9]{2}|500)$/)
    .meta({
      description: `At most this many runs: a whole number from 1 to ${MAX_RUNS_LIMIT} (default ${DEFAULT_RUNS_LIMIT}).`,
      examples: ['20'],
    }),
} as const;
export const RUNS_QUERY = z.object(RUNS_PARAMS).partial().strict();

/** The job payloads' run id rule (queue/jobs.ts), documented. */
export const RUN_ID = RUN_ID_SCHEMA.meta({
  description: "A run id as GET /runs lists it: `2026-11-29`, a forced re-run `2026-11-29#2` ('#' written %23), a backfill chunk `bf_…`.",
});

export const RunSummaryBody = z.object({
  runId: z.string(),
  date: z.iso.date().meta({ description: 'The reference date D (a backfill chunk: its last day).' }),
  kind: z.enum(RUN_KINDS),
  trigger: z.enum(RUN_TRIGGERS).optional().meta({ description: 'What planned it (absent on records older than triggers).' }),
  operator: z.string().optional().meta({ description: 'Who asked, for manual, forced and backfill runs.' }),
  plannedAt: ms,
  startedAt: ms.optional().meta({ description: 'When a worker first took one of its tasks; absent while all wait in the queue.' }),
  finishedAt: ms.optional(),
  outcome: z.enum(['success', 'failure', 'running']),
  seconds: z.number().nonnegative().nullable().meta({ description: 'Planning to the end of validation; null while running.' }),
  failed: z.array(z.string()).readonly().optional().meta({ description: 'The tasks that failed.' }),
  tracked: z.boolean().optional().meta({ description: 'Counted in the run-duration metrics (daily runs).' }),
  revalidated: z
    .object({ at: ms, by: z.string().optional() })
    .optional()
    .meta({ description: 'Validated again after a retry from the board: when, and who retried.' }),
});

export const RunTaskBody = z.object({
  task: z.enum(['refresh', 'retention']),
  table: z.string(),
  date: z.iso.date(),
  runId: z.string(),
  outcome: z.enum(['success', 'failure']),
  seconds: z.number().nonnegative(),
  rowsWritten: z.number().int().nonnegative().nullable().meta({ description: 'Rows written (refresh); null on failure.' }),
  rowsDeleted: z.number().int().nonnegative().optional().meta({ description: 'Rows deleted (retention).' }),
  finishedAt: ms,
  error: z.string().optional(),
  attempts: z.number().int().positive().optional().meta({ description: 'Attempts of the job so far, this one included.' }),
  retriedBy: z.string().optional().meta({ description: 'This settlement followed a retry from the board by this operator.' }),
});

export const RunDetailBody = RunSummaryBody.extend({ tasks: z.array(RunTaskBody).readonly() });

export const RunsBody = z.object({
  runs: z.array(RunSummaryBody).readonly(),
  schedule: z.object({
    paused: z.boolean(),
    pausedAt: ms.optional(),
    pausedBy: z.string().optional(),
    reason: z.string().optional(),
  }),
});

export type RunsAnswer = z.output<typeof RunsBody>;
export type RunAnswer = z.output<typeof RunDetailBody>;
