/**
 * Run history: every run's record (in the runs hash, written by StateStore)
 * indexed by planning time, and each run's settled table tasks. Bounded:
 * planning a run drops the runs planned more than RUNS_KEEP_DAYS before it,
 * with their task lists and their places among the runs in progress, and
 * each run's task list expires on its own after that long.
 */
import type { Redis } from 'ioredis';
import type { TableRecord, TableTask } from '../tasks/recorder.js';

export interface RunTask extends TableRecord {
  readonly task: TableTask;
  readonly table: string;
}

/**
 * Remove the runs planned before ARGV[1] (KEYS: index, runs hash, runs in
 * progress, start times; ARGV[2..]: prefixes of the keys kept per run — task
 * lists, done markers): a claim that never finished leaves the runs in
 * progress with its record.
 */
const PRUNE = `local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
for _, id in ipairs(old) do
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
  for i = 2, #ARGV do redis.call('DEL', ARGV[i] .. id) end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
return #old`;

export class RunHistory {
  constructor(
    private readonly redis: Redis,
    /** `<prefix>:state:runs`: the runs hash; the index and task lists are beside it. */
    private readonly runsKey: string,
    private readonly keepDays: number,
    /** Prefixes of other keys kept per run (`<prefix><run id>`), dropped with it. */
    private readonly perRunKeyPrefixes: readonly string[] = [],
  ) {}

  private get indexKey(): string {
    return `${this.runsKey}:index`;
  }

  private tasksKey(runId: string): string {
    return `${this.runsKey}:tasks:${runId}`;
  }

  /** Index a run by its planning time and drop the runs older than the kept period; returns how many were dropped. */
  async index(runId: string, plannedAt: number): Promise<number> {
    await this.redis.zadd(this.indexKey, String(plannedAt), runId);
    const dropped = await this.redis.eval(PRUNE, 4, this.indexKey, this.runsKey, `${this.runsKey}:active`, `${this.runsKey}:started`, String(plannedAt - this.keepDays * 86_400_000), `${this.runsKey}:tasks:`, ...this.perRunKeyPrefixes);
    return Number(dropped);
  }

  /** A table task of the run settled (the latest attempt's outcome replaces an earlier one). */
  async task(task: TableTask, table: string, rec: TableRecord): Promise<void> {
    const key = this.tasksKey(rec.runId);
    await this.redis.multi().hset(key, `${task}:${table}:${rec.date}`, JSON.stringify({ task, table, ...rec })).expire(key, this.keepDays * 86_400).exec();
  }

  /** Run ids, newest planned first. */
  async ids(): Promise<string[]> {
    return this.redis.zrevrange(this.indexKey, 0, -1);
  }

  /** The run's tasks in the order they settled (refresh before retention, then by table and date when at the same instant). */
  async tasks(runId: string): Promise<RunTask[]> {
    const all = Object.values(await this.redis.hgetall(this.tasksKey(runId))).map((v) => JSON.parse(v) as RunTask);
    const key = (t: RunTask): string => `${t.task === 'refresh' ? 0 : 1} ${t.table} ${t.date}`;
    return all.sort((a, b) => a.finishedAt - b.finishedAt || key(a).localeCompare(key(b)));
  }
}
