/**
 * What the service records in Redis so that it survives restarts and is read
 * at scrape time (a scrape never queries the warehouse): per-table outcomes,
 * runs in progress, the last validation and the scheduler's dead-man switch.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import { keyspace, type Keyspace } from '../queue/keyspace.js';
import { runScript } from '../queue/scripts.js';
import { BoardRetries } from './board-retries.js';
import { RunHistory } from './run-history.js';
import { isTableName, type TableName } from '../tables/registry.js';
import type { AuditReport } from '../tasks/audit.js';
import type { ValidationReport } from '../tasks/validation.js';
import type { InlineRunRecord, RunRecorder, TableRecord, TableTask } from '../tasks/recorder.js';
import type { IsoDate } from '../dates.js';

export type { TableRecord, TableTask };

/** Ids of runs of every table for one date: the daily run `D` and its forced re-runs `D#n`. */
const FULL_RUN_ID = /^\d{4}-\d{2}-\d{2}(#\d+)?$/;

/**
 * What planned a run: the schedule's tick, the catch-up of a tick missed while
 * nothing ran (at start-up or on `schedule resume`), an operator's `run`
 * (`forced` with --force or --accept-anomaly), a backfill chunk.
 */
export const RUN_TRIGGERS = ['scheduled', 'catch-up', 'manual', 'forced', 'backfill'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

/** How a run came to be and who asked (an operator for manual, forced, backfill and a resume's catch-up; none for the schedule). */
export interface RunOrigin {
  readonly trigger: RunTrigger;
  readonly operator?: string;
}

export interface RunRecord {
  readonly runId: string;
  readonly date: IsoDate;
  readonly plannedAt: number;
  /** Absent on records written before triggers were recorded. */
  readonly trigger?: RunTrigger;
  readonly operator?: string;
  /** Validated again after a board retry completed the run's failed tasks: when, and who retried. */
  readonly revalidated?: { readonly at: number; readonly by?: string };
  /** Counted in crm_run_in_progress_seconds and crm_run_duration_seconds (daily runs; not backfill chunks). */
  readonly tracked?: boolean;
  /** When a worker first took one of its tasks (unix ms); absent while every task waits in the queue. */
  readonly startedAt?: number;
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
  /** Who retried which job on the board, until that job settles again. */
  readonly retries: BoardRetries;

  private readonly keys: Keyspace;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    runsKeepDays = 90,
  ) {
    this.keys = keyspace(prefix);
    this.history = new RunHistory(redis, this.keys, runsKeepDays);
    this.retries = new BoardRetries(redis, this.keys.retries, runsKeepDays * 86_400);
  }

  /**
   * A refresh or retention of a table settled, whoever ran it (a queue worker
   * or `run --inline`): the one place that records it. A refresh that
   * committed, or a retention that deleted rows, bumps the table's generation
   * first (the read API's cached answers are old from that moment).
   */
  async recordTask(table: TableName, task: TableTask, rec: TableRecord): Promise<void> {
    await this.recordTaskOnce(table, task, rec);
  }

  /**
   * recordTask; with `once` (a queued task: its run's done markers, see
   * done-markers.ts), a success recorded before is not recorded again: false.
   */
  async recordTaskOnce(
    table: TableName,
    task: TableTask,
    rec: TableRecord,
    once?: { key: string; field: string; keepSeconds: number },
  ): Promise<boolean> {
    if (once && rec.outcome === 'success' && (await this.redis.hexists(once.key, once.field)) === 1) return false;
    if (rec.outcome === 'success' && (task === 'refresh' || (rec.rowsDeleted ?? 0) > 0))
      await this.bumpGeneration(table, task === 'refresh' ? rec.date : '');
    const rows = String(rec.rowsWritten ?? 0);
    const keys = once ? [this.keys.table(table), once.key] : [this.keys.table(table)];
    const extra = once ? [once.field, String(once.keepSeconds)] : [];
    const recorded = await runScript(this.redis, 'recordTask', keys, [
      task,
      rec.date,
      rec.outcome,
      JSON.stringify(rec),
      String(rec.finishedAt),
      rows,
      ...extra,
    ]);
    if (Number(recorded) !== 1) return false;
    await this.history.task(task, table, rec);
    return true;
  }

  /**
   * Per table: the recorded fields (last_refresh, last_retention, failed_<task>,
   * last_success_ts, rows_written, latest_date), and `refresh_active` ('1' or '0')
   * read from the table's lock, which a refresh holds while it runs and which
   * expires within a minute of a crashed worker (a counter would stay up).
   */
  async tables(tables: readonly TableName[]): Promise<Record<string, Record<string, string>>> {
    return (await this.readTables(tables)).tables;
  }

  /** What /freshness reads, in one round trip: tables() with the current validation and the generations. */
  async freshness(tables: readonly TableName[]): Promise<{
    tables: Record<string, Record<string, string>>;
    validation: { report: ValidationReport; at: number } | undefined;
    generations: number[];
  }> {
    const read = await this.readTables(tables, (p) =>
      p.hmget(this.keys.validation, 'current', 'current_ts').hmget(this.keys.generations, ...tables),
    );
    const [[report, at] = [], generations = []] = read.rest as [(string | null)[]?, (string | null)[]?];
    return { tables: read.tables, validation: parseValidation(report, at), generations: generations.map(generation) };
  }

  /** tables(), in one pipeline with the commands `more` adds (their replies in `rest`). */
  private async readTables(
    tables: readonly TableName[],
    more?: (p: ChainableCommander) => void,
  ): Promise<{ tables: Record<string, Record<string, string>>; rest: unknown[] }> {
    const pipeline = this.redis.pipeline();
    for (const t of tables) pipeline.hgetall(this.keys.table(t));
    for (const t of tables) pipeline.get(this.keys.tableLock(t));
    more?.(pipeline);
    const results = (await pipeline.exec()) ?? [];
    const byTable = Object.fromEntries(
      tables.map((t, i) => {
        const fields = (results[i]?.[1] as Record<string, string> | undefined) ?? {};
        const holder = results[tables.length + i]?.[1] as string | null | undefined;
        return [t, { ...fields, refresh_active: holder?.startsWith('refresh:') ? '1' : '0' }];
      }),
    );
    return { tables: byTable, rest: results.slice(2 * tables.length).map(([, v]) => v) };
  }

  /**
   * Claim a run: false when it was planned before. A tracked run counts as in
   * progress until finishRun (a backfill's chunks are not tracked: a long
   * backfill is not a slow daily run).
   */
  async startRun(
    runId: string,
    date: IsoDate,
    opts: { tracked: boolean; plannedAt?: number; origin?: RunOrigin } = { tracked: true },
  ): Promise<boolean> {
    const plannedAt = opts.plannedAt ?? Date.now();
    const rec: RunRecord = { runId, date, plannedAt, ...(opts.origin ?? {}), tracked: opts.tracked };
    const added = await runScript(
      this.redis,
      'claimRun',
      [this.keys.runs, this.keys.runsIndex, this.keys.runsActive],
      [runId, JSON.stringify(rec), String(plannedAt), opts.tracked ? '1' : '0'],
    );
    // Then drop the runs planned more than the kept period before this one.
    if (Number(added) === 1) await this.history.index(runId, plannedAt);
    return Number(added) === 1;
  }

  /** A claim re-planned after its flow was lost: counted as in progress again (from its planning time). */
  async resumeRun(rec: RunRecord): Promise<void> {
    if (rec.tracked !== false) await this.redis.zadd(this.keys.runsActive, 'NX', String(rec.plannedAt), rec.runId);
  }

  /** Undo a claim whose jobs could not be added. */
  async forgetRun(runId: string): Promise<void> {
    await this.redis
      .multi()
      .hdel(this.keys.runs, runId)
      .hdel(this.keys.runsStarted, runId)
      .zrem(this.keys.runsActive, runId)
      .zrem(this.keys.runsIndex, runId)
      .exec();
  }

  /** A worker took one of the run's tasks at `at`: the first call sets the run's start, later ones keep it. */
  async runStarted(runId: string, at: number): Promise<void> {
    await this.redis.hsetnx(this.keys.runsStarted, runId, String(at));
  }

  /**
   * Record a run's outcome; `revalidation`: it ran again after a board retry (by that operator).
   * A record dropped from the history meanwhile is not written back (it would be unindexed).
   */
  async finishRun(
    runId: string,
    outcome: 'success' | 'failure',
    failed: readonly string[] = [],
    at = Date.now(),
    revalidation?: { by?: string },
  ): Promise<RunRecord | undefined> {
    const raw = await this.redis.hget(this.keys.runs, runId);
    if (raw === null) return undefined;
    const revalidated = revalidation ? { revalidated: { at, ...(revalidation.by ? { by: revalidation.by } : {}) } } : {};
    const rec: RunRecord = { ...(JSON.parse(raw) as RunRecord), finishedAt: at, outcome, failed, ...revalidated };
    const written = await runScript(this.redis, 'finishRun', [this.keys.runs, this.keys.runsActive], [runId, JSON.stringify(rec)]);
    return Number(written) === 1 ? rec : undefined;
  }

  /** Age source of crm_run_in_progress_seconds: the oldest unfinished run's planning time. */
  async oldestActiveRun(): Promise<number | undefined> {
    const [, score] = await this.redis.zrange(this.keys.runsActive, '0', '0', 'WITHSCORES');
    return score === undefined ? undefined : Number(score);
  }

  async run(runId: string): Promise<RunRecord | undefined> {
    const read = await this.redis.multi().hget(this.keys.runs, runId).hget(this.keys.runsStarted, runId).exec();
    const [raw, started] = (read ?? []).map(([, v]) => v as string | null);
    if (raw === null || raw === undefined) return undefined;
    const rec = JSON.parse(raw) as RunRecord;
    return started ? { ...rec, startedAt: Number(started) } : rec;
  }

  /** A readable id for a forced re-run of `runId`: `<runId>#<n>`, n the next free number (atomic across processes). */
  async nextForcedRunId(runId: string, keepSeconds: number): Promise<string> {
    const n = await runScript(this.redis, 'nextForcedRun', [this.keys.runsForced(runId), this.keys.runs], [runId, String(keepSeconds)]);
    return `${runId}#${String(n)}`;
  }

  /** The newest run of every table (the daily run of the newest date, or its latest forced re-run). */
  async latestFullRun(): Promise<RunRecord | undefined> {
    const all = await this.redis.hgetall(this.keys.runs);
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
    const keys = [this.keys.validation, ...report.tables.map((t) => this.keys.table(t.tabela))];
    await runScript(this.redis, 'recordValidation', keys, [
      report.date,
      JSON.stringify(report),
      String(at),
      ...report.tables.map((t) => t.ultima_data ?? ''),
    ]);
  }

  /** The validation of the newest reference date (what metrics, alerts and /freshness report). */
  async currentValidation(): Promise<{ report: ValidationReport; at: number } | undefined> {
    const [report, at] = await this.redis.hmget(this.keys.validation, 'current', 'current_ts');
    return parseValidation(report, at);
  }

  /** Record a run done in one process (`run --inline`): no claim, its outcome as it ended. */
  async recordInlineRun(rec: InlineRunRecord): Promise<void> {
    // Record and index entry in one step (no record is ever left out of the history's pruning), then prune.
    await this.redis
      .multi()
      .hset(this.keys.runs, rec.runId, JSON.stringify({ ...rec, startedAt: rec.plannedAt, trigger: 'manual', tracked: false }))
      .zadd(this.keys.runsIndex, String(rec.plannedAt), rec.runId)
      .exec();
    await this.history.index(rec.runId, rec.plannedAt);
  }

  /** The last successful source audit (a failed one leaves the previous report, so its age shows). */
  async recordAudit(report: AuditReport): Promise<void> {
    await this.redis.hset(this.keys.sourceAudit, { last: JSON.stringify(report) });
  }

  async lastAudit(): Promise<AuditReport | undefined> {
    const last = await this.redis.hget(this.keys.sourceAudit, 'last');
    return last ? (JSON.parse(last) as AuditReport) : undefined;
  }

  async recordScheduler(fields: { lastEnqueuedAt?: number; nextRunAt?: number }): Promise<void> {
    const out: Record<string, string> = {};
    if (fields.lastEnqueuedAt !== undefined) out.last_enqueued_ts = String(fields.lastEnqueuedAt);
    if (fields.nextRunAt !== undefined) out.next_run_ts = String(fields.nextRunAt);
    if (Object.keys(out).length > 0) await this.redis.hset(this.keys.scheduler, out);
  }

  async scheduler(): Promise<{ lastEnqueuedAt?: number; nextRunAt?: number }> {
    const h = await this.redis.hgetall(this.keys.scheduler);
    return {
      lastEnqueuedAt: h.last_enqueued_ts ? Number(h.last_enqueued_ts) : undefined,
      nextRunAt: h.next_run_ts ? Number(h.next_run_ts) : undefined,
    };
  }

  /** Pause the schedule; false (and the first pause kept) when it was paused already. */
  async pauseSchedule(pause: SchedulePause): Promise<boolean> {
    return (await this.redis.hsetnx(this.keys.scheduler, 'paused', JSON.stringify(pause))) === 1;
  }

  /** Resume the schedule: the pause it ended, or undefined when it was not paused. */
  async resumeSchedule(): Promise<SchedulePause | undefined> {
    const results = await this.redis.multi().hget(this.keys.scheduler, 'paused').hdel(this.keys.scheduler, 'paused').exec();
    const raw = results?.[0]?.[1] as string | null | undefined;
    return raw ? (JSON.parse(raw) as SchedulePause) : undefined;
  }

  async schedulePause(): Promise<SchedulePause | undefined> {
    const raw = await this.redis.hget(this.keys.scheduler, 'paused');
    return raw === null ? undefined : (JSON.parse(raw) as SchedulePause);
  }

  async recordWarehouseOk(at = Date.now()): Promise<void> {
    await this.redis.set(this.keys.warehouseOk, String(at));
  }

  async warehouseOkAt(): Promise<number | undefined> {
    const v = await this.redis.get(this.keys.warehouseOk);
    return v === null ? undefined : Number(v);
  }

  /** Where bumpGeneration announces a table's new data (the read API warms its hottest keys). */
  get generationChannel(): string {
    return this.keys.generationChannel;
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
    const generation = await runScript(
      this.redis,
      'bumpGeneration',
      [this.keys.generations, this.keys.generationsNewestDate],
      [table, date, this.generationChannel],
    );
    return Number(generation);
  }

  /** The current generation of each table (0 before its first refresh). */
  async generations(tables: readonly TableName[]): Promise<number[]> {
    return (await this.redis.hmget(this.keys.generations, ...tables)).map(generation);
  }
}

const generation = (v: string | null): number => (v === null ? 0 : Number(v));
/** The last report parsed, kept: /freshness reads the same current validation on every request until the next one. */
let lastValidation: { raw: string; report: ValidationReport } | undefined;
function parseValidation(
  raw: string | null | undefined,
  at: string | null | undefined,
): { report: ValidationReport; at: number } | undefined {
  if (!raw || !at) return undefined;
  if (lastValidation?.raw !== raw) lastValidation = { raw, report: JSON.parse(raw) as ValidationReport };
  return { report: lastValidation.report, at: Number(at) };
}

/** A bump as bumpGeneration announces it on generationChannel. */
export interface GenerationBump {
  readonly table: TableName;
  /** `past`: a refresh of an earlier date than the table's newest (a backfill). */
  readonly kind: 'newest' | 'past';
  readonly generation: number;
}

/** The bump a generationChannel message announces (`<table> <date> newest|past <generation>`), or undefined for another message. */
export function parseGenerationBump(message: string): GenerationBump | undefined {
  const [table = '', , kind, generation] = message.split(' ');
  const value = Number(generation);
  if (!isTableName(table) || !Number.isFinite(value)) return undefined;
  return { table, kind: kind === 'past' ? 'past' : 'newest', generation: value };
}
