/**
 * Is Redis answering? One watcher per process, on the shared connection: a
 * PING with a 2 s deadline every second (the connections wait forever for an
 * answer — BullMQ needs maxRetriesPerRequest: null — so a silent Redis is
 * only seen by a deadline), and the connection's own events. It logs one line
 * per change of state — "Redis connection lost" (warn, with the redacted URL
 * and the reason) and "Redis connection restored" (info, with how long it was
 * down) — and takes the connection errors that BullMQ's workers and queues
 * report on every reconnection attempt, so an outage is two lines, not a
 * stack per retry.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { redactUrl } from './redis.js';

/** How long a probe's PING may take before Redis counts as unreachable (/readyz, the board). */
export const PING_DEADLINE_MS = 1000;
/** The watcher pings every second and logs an outage after 2 s without an answer (a slow moment is not an outage). */
export const HEALTH_CHECK_EVERY_MS = 1000;
export const WATCH_DEADLINE_MS = 2000;

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'EAI_AGAIN',
]);
const CONNECTION_MESSAGES = [
  /connection is closed/i,
  /stream isn't writeable/i,
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT/,
  /reached the max retries/i,
];
/** What a worker reports once Redis is back and a task's claim had expired meanwhile (another execution may take the task). */
const CLAIM_LOST = [/could not renew lock for job/i, /missing lock for job/i, /lock mismatch for job/i];

/** An error of the connection itself (refused, reset, closed), not of a command. */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined && CONNECTION_CODES.has(code)) return true;
  return CONNECTION_MESSAGES.some((re) => re.test(err.message));
}

/** PING with a deadline: resolves with the reason Redis is not usable, or undefined when it answered. */
export async function boundedPing(redis: Redis, deadlineMs = PING_DEADLINE_MS): Promise<string | undefined> {
  if (redis.status !== 'ready') return `connection ${redis.status}`;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      redis.ping().then(() => undefined),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no answer to PING within ${deadlineMs} ms`), deadlineMs);
      }),
    ]);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    clearTimeout(timer);
  }
}

export class RedisHealth {
  private downSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private stopped = false;

  constructor(
    private readonly redis: Redis,
    private readonly url: string,
    private readonly log: Logger,
    private readonly everyMs = HEALTH_CHECK_EVERY_MS,
  ) {}

  /** Start watching (the pings, and the connection's close/ready events). */
  start(): this {
    this.redis.on('close', this.onClose);
    this.redis.on('ready', this.onReady);
    this.timer = setInterval(() => void this.check(), this.everyMs);
    this.timer.unref();
    return this;
  }

  /** Stop watching before the connection is closed on purpose (a shutdown is no outage). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.redis.off('close', this.onClose);
    this.redis.off('ready', this.onReady);
  }

  /** False from the moment an outage is seen until Redis answers again. */
  get up(): boolean {
    return this.downSince === undefined;
  }

  /**
   * For 'error' events of workers, queues and connections: a connection error
   * marks the outage (logged once); a claim lost meanwhile is one warn line
   * without a stack; anything else is logged as an error, as before.
   */
  onError(context: Record<string, unknown>, message: string): (err: Error) => void {
    return (err) => {
      // A connection closed on purpose at shutdown is no outage.
      if (isConnectionError(err)) {
        if (!this.stopped) this.markDown(err.message);
      } else if (CLAIM_LOST.some((re) => re.test(err.message))) {
        this.log.warn(
          { ...context, error: err.message },
          "a task's claim expired while Redis did not answer: it goes back to the queue (a table is still written once per run)",
        );
      } else this.log.error({ ...context, err }, message);
    };
  }

  private readonly onClose = (): void => {
    if (!this.stopped) this.markDown('connection closed');
  };

  private readonly onReady = (): void => {
    void this.check();
  };

  private async check(): Promise<void> {
    if (this.checking || this.stopped) return;
    this.checking = true;
    try {
      const problem = await boundedPing(this.redis, WATCH_DEADLINE_MS);
      if (this.stopped) return;
      if (problem === undefined) this.markUp();
      else this.markDown(problem);
    } finally {
      this.checking = false;
    }
  }

  private markDown(reason: string): void {
    if (this.downSince !== undefined) return;
    this.downSince = performance.now();
    this.log.warn({ redis: redactUrl(this.url), reason }, 'Redis connection lost');
  }

  private markUp(): void {
    if (this.downSince === undefined) return;
    const outageSeconds = Math.round((performance.now() - this.downSince) / 100) / 10;
    this.downSince = undefined;
    this.log.info({ redis: redactUrl(this.url), outageSeconds }, 'Redis connection restored');
  }
}
