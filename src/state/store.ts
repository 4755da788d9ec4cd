/**
 * What the service records in Redis so that it survives restarts and is read
 * at scrape time (a scrape never queries the warehouse): per-table outcomes,
 * runs in progress, the last validation and the scheduler's dead-man switch.
 */
import type { Redis } from 'ioredis';
import { RunHistory } from './run-history.js';
import { tableLockKey } from './table-lock.js';
import type { TableName } from '../tables/registry.js';
import type { AuditReport } from '../tasks/audit.js';
import type { ValidationReport } from '../tasks/validation.js';
import type { InlineRunRecord, RunRecorder, TableRecord, TableTask } from '../tasks/recorder.js';

export type { TableRecord, TableTask };

/** HINCRBY the generation, keep the newest date refreshed, publish `<table> <date> newest|past <generation>` (one atomic step). */
const BUMP = `local generation = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
local newest = redis.call('HGET', KEYS[2], ARGV[1])
local kind = 'newest'
if ARGV[2] ~= '' then
  if newest and ARGV[2] < newest then kind = 'past' else redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
end
redis.call('PUBLISH', ARGV[3], ARGV[1] .. ' ' .. ARGV[2] .. ' ' .. kind .. ' ' .. generation)
return generation`;

/**
 * A table task settled (KEYS[1] the table's hash; ARGV: task, D, outcome,
 * record JSON, finished-at ms, rows written). `failed_<task>` holds the newest
 * D whose task failed: a success for that D or a later one clears it, an
 * older D's success does not. A successful refresh also sets last_success_ts
 * and rows_written, in the same step as its record.
 */
const TASK = `redis.call('HSET', KEYS[1], 'last_' .. ARGV[1], ARGV[4])
if ARGV[1] == 'refresh' and ARGV[3] == 'success' then
  redis.call('HSET', KEYS[1], 'last_success_ts', ARGV[5], 'rows_written', ARGV[6])
end
local failed = redis.call('HGET', KEYS[1], 'failed_' .. ARGV[1])
if ARGV[3] == 'failure' then
  if not failed or ARGV[2] >= failed then redis.call('HSET', KEYS[1], 'failed_' .. ARGV[1], ARGV[2]) end
elseif failed and ARGV[2] >= failed then
  redis.call('HDEL', KEYS[1], 'failed_' .. ARGV[1])
end`;

/**
 * A validation finished (KEYS[1] the validation hash, KEYS[2..] the tables'
 * hashes; ARGV: D, report JSON, ms, then each table's newest date or '').
 * The report becomes the current one unless a newer D was validated before;
 * each table's latest_date only moves forward.
 */
const VALIDATION = `redis.call('HSET', KEYS[1], 'last', ARGV[2], 'last_ts', ARGV[3])
local current = redis.call('HGET', KEYS[1], 'current_date')
if not current or ARGV[1] >= current then
  redis.call('HSET', KEYS[1], 'current', ARGV[2], 'current_ts', ARGV[3], 'current_date', ARGV[1])
end
for i = 2, #KEYS do
  local newest = ARGV[i + 2]
  if newest ~= '' then
    local known = redis.call('HGET', KEYS[i], 'latest_date')
    if not known or newest > known then redis.call('HSET', KEYS[i], 'latest_date', newest) end
  end
end`;

/**
 * The next free forced re-run number of a run id (KEYS[1] its counter,
 * KEYS[2] the runs hash; ARGV: the id, the counter's lifetime in seconds).
 * The first run of an id is #1 implicitly, so forced re-runs start at #2; a
 * number whose run is still recorded is skipped (a counter that expired).
 */
const NEXT_FORCED = `local n = redis.call('INCR', KEYS[1]) + 1
while redis.call('HEXISTS', KEYS[2], ARGV[1] .. '#' .. n) == 1 do n = redis.call('INCR', KEYS[1]) + 1 end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return n`;

/** Ids of runs of every table for one date: the daily run `D` and its forced re-runs `D#n`. */
const FULL_RUN_ID = /^\d{4}-\d{2}-\d{2}(#\d+)?$/;

export interface RunRecord {
  readonly runId: string;
  readonly date: string;
  readonly plannedAt: number;
  /** Counted in crm_run_in_progress_seconds and crm_run_duration_seconds (daily runs; not backfill chunks). */
  readonly tracked?: boolean;
  readonly finishedAt?: number;
  readonly outcome?: 'success' | 'failure';
  readonly failed?: readonly string[];
}

/** The schedule is paused: since when, by whom, why. */
export interface SchedulePause {
  readonly at: number;
  readonly by: string;
  readonly reason?: string;
}

export class StateStore implements RunRecorder {
  /** Every run's record by planning time, with its tasks (kept `runsKeepDays`). */
  readonly history: RunHistory;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    runsKeepDays = 90,
  ) {
    this.history = new RunHistory(redis, this.key('runs'), runsKeepDays);
  }

  private key(...parts: string[]): string {
    return [this.prefix, 'state', ...parts].join(':');
  }

  /**
   * A refresh or retention of a table settled, whoever ran it (a queue worker
   * or `run --inline`): the one place that records it. A refresh that
   * committed, or a retention that deleted rows, bumps the table's generation
   * first (the read API's cached answers are old from that moment).
   */
  async recordTask(table: TableName, task: TableTask, rec: TableRecord): Promise<void> {
    if (rec.outcome === 'success' && (task === 'refresh' || (rec.rowsDeleted ?? 0) > 0)) await this.bumpGeneration(table, task === 'refresh' ? rec.date : '');
    const rows = String(rec.rowsWritten ?? 0);
    await this.redis.eval(TASK, 1, this.key('table', table), task, rec.date, rec.outcome, JSON.stringify(rec), String(rec.finishedAt), rows);
    await this.history.task(task, table, rec);
  }

  /**
   * Per table: the recorded fields (last_refresh, last_retention, failed_<task>,
   * last_success_ts, rows_written, latest_date), and `refresh_active` ('1' or '0')
   * read from the table's lock, which a refresh holds while it runs and which
   * expires within a minute of a crashed worker (a counter would stay up).
   */
  async tables(tables: readonly TableName[]): Promise<Record<string, Record<string, string>>> {
    const pipeline = this.redis.pipeline();
    for (const t of tables) pipeline.hgetall(this.key('table', t));
    for (const t of tables) pipeline.get(tableLockKey(this.prefix, t));
    const results = (await pipeline.exec()) ?? [];
    return Object.fromEntries(
      tables.map((t, i) => {
        const fields = (results[i]?.[1] as Record<string, string> | undefined) ?? {};
        const holder = results[tables.length + i]?.[1] as string | null | undefined;
        return [t, { ...fields, refresh_active: holder?.startsWith('refresh:') ? '1' : '0' }];
      }),
    );
  }

  /**
   * Claim a run: false when it was planned before. A tracked run counts as in
   * progress until finishRun (a backfill's chunks are not tracked: a long
   * backfill is not a slow daily run).
   */
  async startRun(runId: string, date: string, opts: { tracked: boolean; plannedAt?: number } = { tracked: true }): Promise<boolean> {
    const plannedAt = opts.plannedAt ?? Date.now();
    const rec: RunRecord = { runId, date, plannedAt, tracked: opts.tracked };
    const added = await this.redis.hsetnx(this.key('runs'), runId, JSON.stringify(rec));
    if (added === 1) await this.history.index(runId, plannedAt);
    if (added === 1 && opts.tracked) await this.redis.zadd(this.key('runs', 'active'), String(plannedAt), runId);
    return added === 1;
  }

  /** A claim re-planned after its flow was lost: counted as in progress again (from its planning time). */
  async resumeRun(rec: RunRecord): Promise<void> {
    if (rec.tracked !== false) await this.redis.zadd(this.key('runs', 'active'), 'NX', String(rec.plannedAt), rec.runId);
  }

  /** Undo a claim whose jobs could not be added. */
  async forgetRun(runId: string): Promise<void> {
    await this.redis.multi().hdel(this.key('runs'), runId).zrem(this.key('runs', 'active'), runId).zrem(this.key('runs', 'index'), runId).exec();
  }

  async finishRun(runId: string, outcome: 'success' | 'failure', failed: readonly string[] = [], at = Date.now()): Promise<RunRecord | undefined> {
    const raw = await this.redis.hget(this.key('runs'), runId);
    if (raw === null) return undefined;
    const rec: RunRecord = { ...(JSON.parse(raw) as RunRecord), finishedAt: at, outcome, failed };
    await this.redis.multi().hset(this.key('runs'), runId, JSON.stringify(rec)).zrem(this.key('runs', 'active'), runId).exec();
    return rec;
  }

  /** Age source of crm_run_in_progress_seconds: the oldest unfinished run's planning time. */
  async oldestActiveRun(): Promise<number | undefined> {
    const [, score] = await this.redis.zrange(this.key('runs', 'active'), '0', '0', 'WITHSCORES');
    return score === undefined ? undefined : Number(score);
  }

  async run(runId: string): Promise<RunRecord | undefined> {
    const raw = await this.redis.hget(this.key('runs'), runId);
    return raw === null ? undefined : (JSON.parse(raw) as RunRecord);
  }

  /** A readable id for a forced re-run of `runId`: `<runId>#<n>`, n the next free number (atomic across processes). */
  async nextForcedRunId(runId: string, keepSeconds: number): Promise<string> {
    const n = await this.redis.eval(NEXT_FORCED, 2, this.key('runs', 'forced', runId), this.key('runs'), runId, String(keepSeconds));
    return `${runId}#${String(n)}`;
  }

  /** The newest run of every table (the daily run of the newest date, or its latest forced re-run). */
  async latestFullRun(): Promise<RunRecord | undefined> {
    const all = await this.redis.hgetall(this.key('runs'));
    let best: RunRecord | undefined;
    for (const [id, raw] of Object.entries(all)) {
      if (!FULL_RUN_ID.test(id)) continue;
      const rec = JSON.parse(raw) as RunRecord;
      if (!best || rec.date > best.date || (rec.date === best.date && rec.plannedAt > best.plannedAt)) best = rec;
    }
    return best;
  }

  /** Record a validation; it becomes the current one unless a newer D was validated before (freshness never moves back). */
  async recordValidation(report: ValidationReport, at = Date.now()): Promise<void> {
    const keys = [this.key('validation'), ...report.tables.map((t) => this.key('table', t.tabela))];
    await this.redis.eval(VALIDATION, keys.length, ...keys, report.date, JSON.stringify(report), String(at), ...report.tables.map((t) => t.ultima_data ?? ''));
  }

  /** The validation of the newest reference date (what metrics, alerts and /freshness report). */
  async currentValidation(): Promise<{ report: ValidationReport; at: number } | undefined> {
    const [report, at] = await this.redis.hmget(this.key('validation'), 'current', 'current_ts');
    return report && at ? { report: JSON.parse(report) as ValidationReport, at: Number(at) } : undefined;
  }

  /** Record a run done in one process (`run --inline`): no claim, its outcome as it ended. */
  async recordInlineRun(rec: InlineRunRecord): Promise<void> {
    await this.redis.hset(this.key('runs'), rec.runId, JSON.stringify({ ...rec, tracked: false }));
    await this.history.index(rec.runId, rec.plannedAt);
  }

  /** The last successful source audit (a failed one leaves the previous report, so its age shows). */
  async recordAudit(report: AuditReport): Promise<void> {
    await this.redis.hset(this.key('source_audit'), { last: JSON.stringify(report) });
  }

  async lastAudit(): Promise<AuditReport | undefined> {
    const last = await this.redis.hget(this.key('source_audit'), 'last');
    return last ? (JSON.parse(last) as AuditReport) : undefined;
  }

  async recordScheduler(fields: { lastEnqueuedAt?: number; nextRunAt?: number }): Promise<void> {
    const out: Record<string, string> = {};
    if (fields.lastEnqueuedAt !== undefined) out.last_enqueued_ts = String(fields.lastEnqueuedAt);
    if (fields.nextRunAt !== undefined) out.next_run_ts = String(fields.nextRunAt);
    if (Object.keys(out).length > 0) await this.redis.hset(this.key('scheduler'), out);
  }

  async scheduler(): Promise<{ lastEnqueuedAt?: number; nextRunAt?: number }> {
    const h = await this.redis.hgetall(this.key('scheduler'));
    return {
      lastEnqueuedAt: h.last_enqueued_ts ? Number(h.last_enqueued_ts) : undefined,
      nextRunAt: h.next_run_ts ? Number(h.next_run_ts) : undefined,
    };
  }

  /** Pause the schedule; false (and the first pause kept) when it was paused already. */
  async pauseSchedule(pause: SchedulePause): Promise<boolean> {
    return (await this.redis.hsetnx(this.key('scheduler'), 'paused', JSON.stringify(pause))) === 1;
  }

  /** Resume the schedule: the pause it ended, or undefined when it was not paused. */
  async resumeSchedule(): Promise<SchedulePause | undefined> {
    const results = await this.redis.multi().hget(this.key('scheduler'), 'paused').hdel(this.key('scheduler'), 'paused').exec();
    const raw = results?.[0]?.[1] as string | null | undefined;
    return raw ? (JSON.parse(raw) as SchedulePause) : undefined;
  }

  async schedulePause(): Promise<SchedulePause | undefined> {
    const raw = await this.redis.hget(this.key('scheduler'), 'paused');
    return raw === null ? undefined : (JSON.parse(raw) as SchedulePause);
  }

  async recordWarehouseOk(at = Date.now()): Promise<void> {
    await this.redis.set(this.key('warehouse_ok_ts'), String(at));
  }

  async warehouseOkAt(): Promise<number | undefined> {
    const v = await this.redis.get(this.key('warehouse_ok_ts'));
    return v === null ? undefined : Number(v);
  }

  /** Where bumpGeneration announces a table's new data (the read API warms its hottest keys). */
  get generationChannel(): string {
    return this.key('generation', 'bumped');
  }

  /**
   * A table's data changed (a refresh's replace for reference date `date`
   * committed): the read API's cache keys carry this number, so every key of
   * the old data stops being read at once. Announced on generationChannel as
   * `<table> <date> newest|past <generation>`: `newest` when no refresh of the table was
   * for a later date (the answers of the default date changed; a backfill of
   * past days is `past`). Returns the new generation.
   */
  async bumpGeneration(table: TableName, date = ''): Promise<number> {
    const generation = await this.redis.eval(BUMP, 2, this.key('generation'), this.key('generation', 'newest_date'), table, date, this.generationChannel);
    return Number(generation);
  }

  /** The current generation of each table (0 before its first refresh). */
  async generations(tables: readonly TableName[]): Promise<number[]> {
    const values = await this.redis.hmget(this.key('generation'), ...tables);
    return values.map((v) => (v === null ? 0 : Number(v)));
  }
}
