/**
 * Retries asked for on the board, by whom: marked when the board is asked
 * to retry a job (or every failed job of a queue), taken when that job
 * settles again, so its record in the run history says who retried it. A
 * mark left by a retry the board refused is removed; one never taken expires
 * with the run history.
 */
import type { Redis } from 'ioredis';

export interface BoardRetry {
  readonly at: number;
  /** The board user ('token' for the bearer token, 'anonymous' with BOARD_AUTH=off); absent for the service's own re-validation. */
  readonly by?: string;
}

export class BoardRetries {
  constructor(
    private readonly redis: Redis,
    /** `<prefix>:state:retries`: one hash, field `<queue>|<job id>`. */
    private readonly key: string,
    private readonly keepSeconds: number,
  ) {}

  async mark(queue: string, jobIds: readonly string[], retry: BoardRetry): Promise<void> {
    if (jobIds.length === 0) return;
    const value = JSON.stringify(retry);
    await this.redis
      .multi()
      .hset(this.key, Object.fromEntries(jobIds.map((id) => [`${queue}|${id}`, value])))
      .expire(this.key, this.keepSeconds)
      .exec();
  }

  async unmark(queue: string, jobIds: readonly string[]): Promise<void> {
    if (jobIds.length > 0) await this.redis.hdel(this.key, ...jobIds.map((id) => `${queue}|${id}`));
  }

  /** The job's retry mark, removed (the job's settlement that follows the retry reads it once). */
  async take(queue: string, jobId: string | undefined): Promise<BoardRetry | undefined> {
    if (jobId === undefined) return undefined;
    const field = `${queue}|${jobId}`;
    const results = await this.redis.multi().hget(this.key, field).hdel(this.key, field).exec();
    const raw = results?.[0]?.[1] as string | null | undefined;
    return raw ? (JSON.parse(raw) as BoardRetry) : undefined;
  }
}
