/** Poll until a condition holds (bounded); the message says what never happened. */
import type { Job, Queue } from 'bullmq';

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function waitForState(queue: Queue, id: string, states: readonly string[], timeoutMs = 30_000): Promise<Job> {
  return waitFor(
    `${queue.name} job ${id} to be ${states.join('|')}`,
    async () => {
      // The state first, then the job: a job read before it settled would lack what settling wrote (failedReason, returnvalue).
      if (!states.includes(await queue.getJobState(id))) return undefined;
      return queue.getJob(id);
    },
    timeoutMs,
  );
}
