/** `run --wait`: live progress of a queued run until its validation settles. */
import { Job } from 'bullmq';
import type { Payload } from '../queue/jobs.js';
import { jobIds } from '../queue/jobs.js';
import type { QueueClient } from './queue-client.js';

export interface WatchResult {
  readonly ok: boolean;
  readonly detail: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function watchRun(c: QueueClient, runId: string, print: (line: string) => void, pollMs = 500, signal?: AbortSignal): Promise<WatchResult> {
  const seen = new Map<string, string>();
  const validationId = jobIds.validation(runId);
  for (;;) {
    if (signal?.aborted) return { ok: false, detail: 'stopped watching (the run goes on in the queue)' };
    const validation = await Job.fromId(c.queues.validation, validationId);
    if (!validation) return { ok: false, detail: `run ${runId} has no validation job (removed from history?)` };
    const { tasks } = validation.data as Payload<'validation'>;
    for (const t of tasks) {
      const job = await Job.fromId(c.queues[t.queue], t.id);
      const state = job ? await job.getState() : 'missing';
      const line = state === 'failed' ? `failed: ${job?.failedReason ?? ''}` : state;
      if (seen.get(t.id) !== line) {
        seen.set(t.id, line);
        const attempts = job && job.attemptsMade > 1 ? ` (attempts: ${job.attemptsMade})` : '';
        print(`${t.id}: ${line}${attempts}`);
      }
    }
    const state = await validation.getState();
    if (seen.get(validationId) !== state) {
      seen.set(validationId, state);
      print(`${validationId}: ${state}`);
    }
    if (state === 'completed') return { ok: true, detail: `run ${runId} succeeded` };
    if (state === 'failed') return { ok: false, detail: validation.failedReason ?? `run ${runId} failed` };
    await sleep(pollMs);
  }
}
