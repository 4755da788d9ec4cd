/**
 * `run --inline` records its outcome as a queued run does, whenever Redis is
 * reachable. Without Redis the run still works (it is the fallback when the
 * queue is down) and says, once, what could not be told.
 */
import type { Config } from '../config/index.js';
import { closeRedis, connectRedis, redactUrl } from '../queue/redis.js';
import { StateStore } from '../state/store.js';
import type { RunRecorder } from '../tasks/recorder.js';

const CONNECT_TIMEOUT_MS = 2000;

/** `operator`: who runs it, kept in the inline run's record. */
export async function withRecorder<T>(
  config: Config,
  note: (line: string) => void,
  fn: (recorder: RunRecorder | undefined) => Promise<T>,
  operator?: string,
): Promise<T> {
  const untold = (why: string): void =>
    note(
      `note: Redis at ${redactUrl(config.redisUrl)} ${why}: the read API's cache and the freshness ` +
        `state were not told about this run (the next run that reaches Redis updates them)`,
    );
  let redis;
  try {
    redis = await connectRedis(config.redisUrl, `${config.queuePrefix}:cli`, { timeoutMs: CONNECT_TIMEOUT_MS });
  } catch {
    untold('is unreachable');
    return fn(undefined);
  }
  redis.options.maxRetriesPerRequest = 1;
  const state = new StateStore(redis, config.queuePrefix, config.runsKeepDays);
  let failed = false;
  const guard =
    <A extends unknown[]>(call: (...args: A) => Promise<void>) =>
    async (...args: A): Promise<void> => {
      if (failed) return;
      try {
        await call(...args);
      } catch {
        failed = true;
        untold('stopped answering');
      }
    };
  const recorder: RunRecorder = {
    recordTask: guard(state.recordTask.bind(state)),
    recordValidation: guard(state.recordValidation.bind(state)),
    recordInlineRun: guard((rec) => state.recordInlineRun({ ...rec, ...(operator ? { operator } : {}) })),
  };
  try {
    return await fn(recorder);
  } finally {
    await closeRedis(redis);
  }
}
