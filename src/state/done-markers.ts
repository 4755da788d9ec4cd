/**
 * Written once per (run, table, date): what makes a second execution of a
 * table task a no-op. A queued task can run twice when Redis stops answering
 * for longer than a job's claim (JOB_LOCK_MS): the claim expires, the task is
 * found stalled and put back in the queue while its first execution may have
 * written the table already. So, per run, a hash holds one field per
 * `<task>:<table>:<date>`:
 *
 * - `committed`: set by the worker as its first Redis step after the write
 *   committed (nothing else is sent to Redis between the two; during an
 *   outage it is the first command Redis receives from that worker when it
 *   answers again), with the rows written;
 * - `recorded`: set by the task's record itself, in the same Lua step
 *   (StateStore.recordTask with `once`), so a task is recorded, counted and
 *   announced once.
 *
 * A task checks `committed` once it holds the table's lock, before it
 * writes: found, it records the earlier write (a no-op when that was
 * recorded) and completes without touching the table. The table lock keeps
 * two executions from writing at once (its holder cancels its statement when
 * its lease runs out, before the lock can pass to another worker).
 */
import type { Redis } from 'ioredis';
import { keyspace, type Keyspace } from '../queue/keyspace.js';
import type { IsoDate } from '../dates.js';

export interface TaskRef {
  readonly task: string;
  readonly table: string;
  readonly date: IsoDate;
  readonly runId: string;
}

/** What the first execution wrote, as recorded when its write committed. */
export interface CommittedWrite {
  readonly rowsWritten: number | null;
  readonly seconds: number;
  readonly at: number;
}

const DAY_S = 86_400;

export class DoneMarkers {
  private readonly keys: Keyspace;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly keepDays = 90,
  ) {
    this.keys = keyspace(prefix);
  }

  /** The run's hash of markers (kept as long as run records; the run history drops it with its run). */
  key(runId: string): string {
    return this.keys.doneMarkers(runId);
  }

  field(ref: TaskRef): string {
    return `${ref.task}:${ref.table}:${ref.date}`;
  }

  /** The field recordTask sets with the record, in the same step. */
  recordedField(ref: TaskRef): string {
    return `${this.field(ref)}:recorded`;
  }

  get keepSeconds(): number {
    return this.keepDays * DAY_S;
  }

  async markCommitted(ref: TaskRef, write: CommittedWrite): Promise<void> {
    await this.redis
      .multi()
      .hset(this.key(ref.runId), this.field(ref), JSON.stringify(write))
      .expire(this.key(ref.runId), this.keepSeconds)
      .exec();
  }

  async committed(ref: TaskRef): Promise<CommittedWrite | undefined> {
    const raw = await this.redis.hget(this.key(ref.runId), this.field(ref));
    return raw === null ? undefined : (JSON.parse(raw) as CommittedWrite);
  }
}
