/** `run --wait` and `backfill --wait`: live progress of queued runs until their validations settle. */
import { Job } from 'bullmq';
import type { Payload } from '../queue/jobs.js';
import { jobIds } from '../queue/jobs.js';
import { outputWidth, truncate } from '../text-table.js';
import type { QueueClient } from './queue-client.js';

export interface TaskState {
  readonly queue: string;
  readonly id: string;
  readonly state: string;
  readonly attempts: number;
  readonly error?: string;
}

export interface WatchResult {
  readonly ok: boolean;
  readonly detail: string;
  /** The run's tasks as last seen (run --wait). */
  readonly tasks?: readonly TaskState[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const STOPPED: WatchResult = { ok: false, detail: 'stopped watching (the run goes on in the queue)' };

/** A run whose validation job left the history: its recorded outcome, if any. */
async function fromRecord(c: Pick<QueueClient, 'state'>, runId: string): Promise<WatchResult> {
  const rec = await c.state.run(runId);
  if (rec?.outcome === 'success') return { ok: true, detail: `run ${runId} succeeded` };
  if (rec?.outcome === 'failure') return { ok: false, detail: `run ${runId} failed: ${(rec.failed ?? []).join('; ')}` };
  return { ok: false, detail: `run ${runId} has no validation job (removed from history?)` };
}

async function taskState(c: Pick<QueueClient, 'queues'>, t: { queue: 'refresh' | 'retention'; id: string }): Promise<TaskState> {
  const job = await Job.fromId(c.queues[t.queue], t.id);
  if (!job) return { queue: t.queue, id: t.id, state: 'missing', attempts: 0 };
  const state = await job.getState();
  return { queue: t.queue, id: t.id, state, attempts: job.attemptsMade, ...(state === 'failed' ? { error: job.failedReason } : {}) };
}

export async function watchRun(
  c: Pick<QueueClient, 'queues' | 'state'>,
  runId: string,
  print: (line: string) => void,
  pollMs = 500,
  signal?: AbortSignal,
): Promise<WatchResult> {
  const seen = new Map<string, string>();
  const validationId = jobIds.validation(runId);
  for (;;) {
    if (signal?.aborted) return STOPPED;
    const validation = await Job.fromId(c.queues.validation, validationId);
    if (!validation) return fromRecord(c, runId);
    const { tasks } = validation.data as Payload<'validation'>;
    const states: TaskState[] = [];
    for (const t of tasks) {
      const s = await taskState(c, t);
      states.push(s);
      const line = s.state === 'failed' ? `failed: ${s.error ?? ''}` : s.state;
      if (seen.get(t.id) !== line) {
        seen.set(t.id, line);
        print(`${t.id}: ${line}${s.attempts > 1 ? ` (attempts: ${s.attempts})` : ''}`);
      }
    }
    const state = await validation.getState();
    if (seen.get(validationId) !== state) {
      seen.set(validationId, state);
      print(`${validationId}: ${state}`);
    }
    if (state === 'completed') return { ok: true, detail: `run ${runId} succeeded`, tasks: states };
    if (state === 'failed') return { ok: false, detail: validation.failedReason || `run ${runId} failed`, tasks: states };
    await sleep(pollMs);
  }
}

/** Several runs at once (a backfill's chunks): one progress line per change, each run's outcome as it settles. */
export async function watchRuns(
  c: Pick<QueueClient, 'queues' | 'state'>,
  runIds: readonly string[],
  print: (line: string) => void,
  pollMs = 1000,
  signal?: AbortSignal,
): Promise<Map<string, WatchResult>> {
  const results = new Map<string, WatchResult>();
  const progress = new Map<string, string>();
  const pending = new Set(runIds);
  for (;;) {
    for (const runId of pending) {
      let settled: WatchResult | undefined;
      let validation: Job | undefined;
      if (signal?.aborted) settled = STOPPED;
      else {
        validation = await Job.fromId(c.queues.validation, jobIds.validation(runId));
        const state = validation ? await validation.getState() : undefined;
        if (!validation) settled = await fromRecord(c, runId);
        else if (state === 'completed') settled = { ok: true, detail: `run ${runId} succeeded` };
        else if (state === 'failed') settled = { ok: false, detail: validation.failedReason || `run ${runId} failed` };
      }
      if (settled || !validation) {
        settled ??= STOPPED;
        results.set(runId, settled);
        pending.delete(runId);
        print(`${runId}: ${settled.ok ? 'succeeded' : 'failed'}`);
        if (!settled.ok) for (const problem of await problemsOf(c, runId, settled.detail)) print(truncate(`  ${problem}`, outputWidth()));
        continue;
      }
      const d = await validation.getDependenciesCount();
      const done = (d.processed ?? 0) + (d.ignored ?? 0) + (d.failed ?? 0);
      const line = `${done}/${done + (d.unprocessed ?? 0)} tasks settled`;
      if (progress.get(runId) !== line) {
        progress.set(runId, line);
        print(`${runId}: ${line}`);
      }
    }
    if (pending.size === 0) return results;
    await sleep(pollMs);
  }
}

/** A failed run's problems as recorded (one per failed task or check), at most five. */
async function problemsOf(c: Pick<QueueClient, 'state'>, runId: string, detail: string): Promise<string[]> {
  const failed = (await c.state.run(runId))?.failed ?? [];
  if (failed.length === 0) return [detail];
  return failed.length <= 5 ? [...failed] : [...failed.slice(0, 4), `… and ${failed.length - 4} more`];
}
