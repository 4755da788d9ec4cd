/**
 * What the service records in Redis so that it survives restarts and is read
 * at scrape time (a scrape never queries the warehouse): per-table outcomes,
 * runs in progress, the last validation and the scheduler's dead-man switch.
 */
import type { Redis } from 'ioredis';
import { tableLockKey } from './table-lock.js';
import type { TableName } from '../tables/registry.js';
import type { ValidationReport } from '../tasks/validation.js';

/** HINCRBY the generation, keep the newest date refreshed, publish `<table> <date> newest|past` (one atomic step). */
const BUMP = `local generation = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
local newest = redis.call('HGET', KEYS[2], ARGV[1])
local kind = 'newest'
if ARGV[2] ~= '' then
  if newest and ARGV[2] < newest then kind = 'past' else redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
end
redis.call('PUBLISH', ARGV[3], ARGV[1] .. ' ' .. ARGV[2] .. ' ' .. kind)
return generation`;

export interface TableRecord {
  readonly date: string;
  readonly runId: string;
  readonly outcome: 'success' | 'failure';
  readonly seconds: number;
  readonly rowsWritten: number | null;
  readonly finishedAt: number; // unix ms
  readonly error?: string;
}

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

export class StateStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(...parts: string[]): string {
    return [this.prefix, 'state', ...parts].join(':');
  }

  async recordRefresh(table: TableName, rec: TableRecord): Promise<void> {
    const fields: Record<string, string> = { last_refresh: JSON.stringify(rec) };
    if (rec.outcome === 'success') {
      fields.last_success_ts = String(rec.finishedAt);
      fields.rows_written = String(rec.rowsWritten ?? 0);
    }
    await this.redis.hset(this.key('table', table), fields);
  }

  /**
   * Per table: the recorded refresh fields, and `refresh_active` ('1' or '0')
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
    if (added === 1 && opts.tracked) await this.redis.zadd(this.key('runs', 'active'), String(plannedAt), runId);
    return added === 1;
  }

  /** A claim re-planned after its flow was lost: counted as in progress again (from its planning time). */
  async resumeRun(rec: RunRecord): Promise<void> {
    if (rec.tracked !== false) await this.redis.zadd(this.key('runs', 'active'), 'NX', String(rec.plannedAt), rec.runId);
  }

  /** Undo a claim whose jobs could not be added. */
  async forgetRun(runId: string): Promise<void> {
    await this.redis.multi().hdel(this.key('runs'), runId).zrem(this.key('runs', 'active'), runId).exec();
  }

  async finishRun(runId: string, outcome: 'success' | 'failure', failed: readonly string[] = []): Promise<RunRecord | undefined> {
    const raw = await this.redis.hget(this.key('runs'), runId);
    if (raw === null) return undefined;
    const rec: RunRecord = { ...(JSON.parse(raw) as RunRecord), finishedAt: Date.now(), outcome, failed };
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

  async recordValidation(report: ValidationReport): Promise<void> {
    await this.redis.hset(this.key('validation'), { last: JSON.stringify(report), ts: String(Date.now()) });
  }

  async lastValidation(): Promise<{ report: ValidationReport; at: number } | undefined> {
    const { last, ts } = await this.redis.hgetall(this.key('validation'));
    return last && ts ? { report: JSON.parse(last) as ValidationReport, at: Number(ts) } : undefined;
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
   * `<table> <date> newest|past`: `newest` when no refresh of the table was
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
