/**
 * Run history: every run's record (in the runs hash, written by StateStore)
 * indexed by planning time, and each run's settled table tasks. Bounded:
 * planning a run drops the runs planned more than RUNS_KEEP_DAYS before it,
 * with their task lists and their places among the runs in progress, and
 * each run's task list expires on its own after that long.
 */
import type { Redis } from 'ioredis';
import type { Keyspace } from '../queue/keyspace.js';
import { runScript } from '../queue/scripts.js';
import type { TableRecord, TableTask } from '../tasks/recorder.js';

export interface RunTask extends TableRecord {
  readonly task: TableTask;
  readonly table: string;
}

export class RunHistory {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keyspace,
    private readonly keepDays: number,
  ) {}

  /** Index a run by its planning time and drop the runs older than the kept period; returns how many were dropped. */
  async index(runId: string, plannedAt: number): Promise<number> {
    const k = this.keys;
    await this.redis.zadd(k.runsIndex, String(plannedAt), runId);
    const oldestKept = String(plannedAt - this.keepDays * 86_400_000);
    const perRun = [k.perRunPrefixes.tasks, k.perRunPrefixes.doneMarkers];
    return Number(await runScript(this.redis, 'pruneRuns', [k.runsIndex, k.runs, k.runsActive, k.runsStarted], [oldestKept, ...perRun]));
  }

  /** A table task of the run settled (the latest attempt's outcome replaces an earlier one). */
  async task(task: TableTask, table: string, rec: TableRecord): Promise<void> {
    const key = this.keys.runTasks(rec.runId);
    await this.redis
      .multi()
      .hset(key, `${task}:${table}:${rec.date}`, JSON.stringify({ task, table, ...rec }))
      .expire(key, this.keepDays * 86_400)
      .exec();
  }

  /** Run ids, newest planned first. */
  async ids(): Promise<string[]> {
    return this.redis.zrevrange(this.keys.runsIndex, 0, -1);
  }

  /** The run's tasks in the order they settled (refresh before retention, then by table and date when at the same instant). */
  async tasks(runId: string): Promise<RunTask[]> {
    const all = Object.values(await this.redis.hgetall(this.keys.runTasks(runId))).map((v) => JSON.parse(v) as RunTask);
    const key = (t: RunTask): string => `${t.task === 'refresh' ? 0 : 1} ${t.table} ${t.date}`;
    return all.sort((a, b) => a.finishedAt - b.finishedAt || key(a).localeCompare(key(b)));
  }
}
