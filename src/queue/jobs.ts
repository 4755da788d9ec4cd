/**
 * The job map, the one source of truth: job name → queue → payload schema.
 * Payloads are `unknown` until a processor parses them: a payload that can
 * never be valid (e.g. added by hand on the board) fails once, unretried.
 */
import { z } from 'zod';
import { futureDateProblem, parseIsoDate, type IsoDate } from '../dates.js';
import { TABLE_NAMES, type TableName } from '../tables/registry.js';

export const QUEUE_NAMES = ['schedule', 'refresh', 'retention', 'validation', 'source-audit'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];
/** The queues of a run's tasks (the source audit has its own schedule). */
export type TaskQueue = Exclude<QueueName, 'schedule' | 'source-audit'>;
export const TASK_QUEUES: readonly TaskQueue[] = ['refresh', 'retention', 'validation'];

const isoDate = z
  .string()
  .refine((s) => {
    try {
      parseIsoDate(s);
      return true;
    } catch {
      return false;
    }
  }, 'must be a real date as YYYY-MM-DD')
  .transform((s) => s as IsoDate);
/** '#' numbers forced re-runs (2026-11-29#2); ':' is not allowed in BullMQ job ids. */
export const RUN_ID_SCHEMA = z.string().regex(/^[A-Za-z0-9_#-]{1,80}$/, 'must be 1-80 characters: letters, digits, _, - or #');
const runId = RUN_ID_SCHEMA;
const table = z.enum(TABLE_NAMES as [TableName, ...TableName[]]);
/** D after today was accepted explicitly (`--allow-future`); without it such a payload is refused. */
const allowFuture = z.literal(true).optional();
const taskRef = z.object({ queue: z.enum(['refresh', 'retention']), id: z.string().min(1).max(200) });

export const PAYLOADS = {
  schedule: z.object({}).strict(),
  refresh: z
    .object({
      runId,
      date: isoDate,
      table,
      /** First day replaced (rolling-window tables); default: the table's window for `date`. */
      from: isoDate.optional(),
      /** A derived table: the source table's refresh job for `date`, which must have completed. */
      after: z.string().min(1).max(200).optional(),
      allowFuture,
      /** `run --accept-anomaly`: publish even when the publish guard would hold the day. */
      acceptAnomaly: z.boolean().optional(),
    })
    .strict()
    .refine((p) => p.from === undefined || p.from <= p.date, { message: 'from must not be after date', path: ['from'] }),
  retention: z.object({ runId, date: isoDate, table, allowFuture }).strict(),
  validation: z
    .object({
      runId,
      date: isoDate,
      tables: z.array(table).min(1),
      /** The run's tasks, whose outcome the validation reports. */
      tasks: z.array(taskRef).default([]),
      allowFuture,
    })
    .strict(),
  /** The source audit reads the whole views: no date, no table. */
  'source-audit': z.object({}).strict(),
} as const satisfies Record<QueueName, z.ZodType>;

export type Payload<Q extends QueueName> = z.infer<(typeof PAYLOADS)[Q]>;
export type TaskRef = z.infer<typeof taskRef>;

/** BullMQ ids cannot contain ':', so parts are joined with '__'. */
export const jobIds = {
  refresh: (t: TableName, run: string): string => `refresh__${t}__${run}`,
  retention: (t: TableName, run: string): string => `retention__${t}__${run}`,
  validation: (run: string): string => `validation__${run}`,
  /** An audit asked for by an operator (scheduled ones get BullMQ's scheduler ids). */
  sourceAudit: (requestedAt: number): string => `source-audit__manual__${requestedAt}`,
};

/** Parse a payload; the message names the first bad field and what it must be. */
export function parsePayload<Q extends QueueName>(queue: Q, data: unknown): { ok: true; value: Payload<Q> } | { ok: false; error: string } {
  const result = PAYLOADS[queue].safeParse(data);
  if (result.success) return { ok: true, value: result.data as Payload<Q> };
  const issue = result.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'payload';
  return { ok: false, error: `invalid ${queue} payload: ${where} ${issue?.message ?? 'is invalid'} (example: ${EXAMPLES[queue]})` };
}

/**
 * A parsed payload whose reference date is after today in `timeZone` (plus
 * the tolerance) without `allowFuture`: the reason, in one line; else undefined.
 */
export function futurePayloadProblem(
  queue: QueueName,
  payload: Payload<QueueName>,
  timeZone: string,
  now: Date = new Date(),
): string | undefined {
  if (!('date' in payload) || payload.allowFuture) return undefined;
  const problem = futureDateProblem(payload.date, timeZone, now);
  return (
    problem && `invalid ${queue} payload: date ${problem}: use a date up to today, or add "allowFuture": true if a future date is intended`
  );
}

const EXAMPLES: Record<QueueName, string> = {
  schedule: '{}',
  refresh: '{"runId":"2026-11-29","date":"2026-11-29","table":"crm_metrics_daily"}',
  retention: '{"runId":"2026-11-29","date":"2026-11-29","table":"crm_metrics_daily"}',
  validation: `{"runId":"2026-11-29","date":"2026-11-29","tables":${JSON.stringify(TABLE_NAMES)}}`,
  'source-audit': '{}',
};
