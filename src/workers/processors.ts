/**
 * What each queue's job does. The work itself is in src/tasks (shared with
 * `run --inline`); here: table locks, recorded state, and the run's outcome.
 */
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { TABLES, derivedFrom, refreshOrder, type TableName } from '../tables/registry.js';
import { refreshTable } from '../tasks/refresh.js';
import { refreshRange } from '../tables/windows.js';
import { applyRetention } from '../tasks/retention.js';
import { checkSources } from '../tasks/sources.js';
import { validate, type ValidationReport } from '../tasks/validation.js';
import { formatAudit, runSourceAudit } from '../tasks/audit.js';
import { formatValidation } from '../tasks/report.js';
import type { Payload, TaskRef as QueuedTask } from '../queue/jobs.js';
import type { TableTask } from '../state/store.js';
import { TableLockLostError, type HeldLock } from '../state/table-lock.js';
import type { TaskRef } from '../state/done-markers.js';
import type { Row, Statement, Warehouse } from '../warehouse/types.js';
import { jobIds } from '../queue/jobs.js';
import { classify, type JobContext, type Processor } from './factory.js';
import { isFinalFailure, recordFinalFailure } from './failures.js';
import type { WorkerRuntime } from './runtime.js';
import type { IsoDate } from '../dates.js';

/** When a table is busy, look again after this long (plus jitter, so waiting tasks do not move in step). */
const LOCK_RETRY_MS = 300;

/**
 * Run `fn` holding the table's lock; when another task holds it, come back
 * later (no attempt used). `fn` gets the lock: its `lost` signal cancels the
 * task's statements once the lock may have passed to another worker.
 */
async function withTableLock<T>(
  task: TableTask,
  table: TableName,
  ctx: JobContext,
  rt: WorkerRuntime,
  fn: (lock: HeldLock) => Promise<T>,
): Promise<T> {
  // The owner names the task: a `refresh:` holder is what "refresh in progress" reads.
  const lock = await rt.locks.acquire(table, `${task}:${ctx.job.id ?? 'job'}`);
  if (!lock) {
    const wait = LOCK_RETRY_MS + Math.floor(Math.random() * LOCK_RETRY_MS);
    await ctx.progress?.(`${table} is busy with another task: looking again in ${wait} ms`);
    await ctx.job.moveToDelayed(Date.now() + wait, ctx.token);
    throw new DelayedError();
  }
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}

/** What a table task reports for its record. */
interface TaskDone {
  readonly rowsWritten: number | null;
  readonly rowsDeleted?: number;
  readonly seconds: number;
}

/** A second execution of a task whose write had committed: nothing written, the first write recorded. */
interface AlreadyWritten extends TaskDone {
  readonly alreadyWritten: true;
}

/**
 * The task's context while it holds its table's lock: statements are
 * cancelled when the lock is lost, an atomic replace commits only while the
 * lease holds (checked inside the transaction where the engine allows it,
 * just before otherwise), and its first Redis step after the commit is the
 * run's done marker (see state/done-markers.ts).
 */
function fencedContext(ctx: JobContext, rt: WorkerRuntime, lock: HeldLock, ref: TaskRef, started: number): JobContext {
  const signal = AbortSignal.any([ctx.signal, lock.lost]);
  const inside = rt.sql.dialect.checksInsideReplace;
  const w = ctx.warehouse;
  const warehouse: Warehouse = {
    engine: w.engine,
    execute: (s, o) => w.execute(s, o),
    query: (s, o) => w.query(s, o),
    close: () => w.close(),
    executeAtomic: async (statements, o) => {
      lock.assertHeld();
      const beforeCommit = inside
        ? async (q: (statement: Statement) => Promise<Row[]>): Promise<void> => {
            await o?.beforeCommit?.(q);
            lock.assertHeld();
          }
        : o?.beforeCommit;
      const result = await w.executeAtomic(statements, { ...o, beforeCommit });
      await rt.done.markCommitted(ref, {
        rowsWritten: result.rowsAffected ?? null,
        seconds: (performance.now() - started) / 1000,
        at: rt.clock.now().getTime(),
      });
      return result;
    },
  };
  return { ...ctx, signal, warehouse };
}

/**
 * A table task: under the table's lock; its outcome (success, retry, final
 * failure) reported to the metrics and, when settled, recorded in the state.
 *
 * Written once per (run, table, date), even when Redis stops answering for
 * longer than the task's claim and the task is run a second time: with the
 * lock held, a write already committed for this run (its done marker) makes
 * this execution a no-op that records it; a lock whose lease ran out cancels
 * the write before it commits; a success is recorded once (the record and its
 * marker in one Lua step).
 */
async function tableTask<T extends TaskDone>(
  task: TableTask,
  p: { table: TableName; date: IsoDate; runId: string },
  ctx: JobContext,
  rt: WorkerRuntime,
  fn: (ctx: JobContext) => Promise<T>,
): Promise<T | AlreadyWritten> {
  const started = performance.now();
  const ref: TaskRef = { task, table: p.table, date: p.date, runId: p.runId };
  const once = { key: rt.done.key(p.runId), field: rt.done.recordedField(ref), keepSeconds: rt.done.keepSeconds };
  let lock: HeldLock | undefined;
  try {
    const result = await withTableLock(task, p.table, ctx, rt, async (held): Promise<T | AlreadyWritten> => {
      lock = held;
      const earlier = await rt.done.committed(ref);
      if (earlier) {
        ctx.log.info(
          { table: p.table, date: p.date, runId: p.runId },
          'written before by an earlier execution of this task in this run: nothing to write',
        );
        return { rowsWritten: earlier.rowsWritten, seconds: earlier.seconds, alreadyWritten: true };
      }
      return fn(fencedContext(ctx, rt, held, ref, started));
    });
    const { rowsWritten, rowsDeleted } = result;
    const retried = await rt.state.retries.take(task, ctx.job.id);
    const how = { attempts: ctx.job.attemptsMade + 1, ...(retried?.by ? { retriedBy: retried.by } : {}) };
    const recorded = await rt.state.recordTaskOnce(
      p.table,
      task,
      {
        date: p.date,
        runId: p.runId,
        outcome: 'success',
        seconds: result.seconds,
        rowsWritten,
        rowsDeleted,
        finishedAt: rt.clock.now().getTime(),
        ...how,
      },
      once,
    );
    if (recorded) {
      rt.observer?.taskSettled?.(task, p.table, 'success', (performance.now() - started) / 1000);
      rt.observer?.rowsWritten?.(task, p.table, (task === 'refresh' ? rowsWritten : rowsDeleted) ?? 0);
    }
    return result;
  } catch (caught) {
    const seconds = (performance.now() - started) / 1000;
    if (caught instanceof DelayedError) throw caught;
    // Cancelled because the table's lock may have passed to another worker: not this task's failure.
    const e: unknown = lock?.lost.aborted ? lock.lost.reason : caught;
    if (e instanceof TableLockLostError)
      ctx.log.warn(
        { table: p.table, date: p.date, error: e.message },
        'table lock lost while Redis did not answer: the write was cancelled before its commit, the task runs again',
      );
    if (isFinalFailure(ctx.job, classify(e), rt.config.jobs.attempts)) await recordFinalFailure(rt, task, ctx.job, e, seconds);
    else rt.observer?.taskSettled?.(task, p.table, 'retry', seconds);
    throw e;
  }
}

export const refreshProcessor: Processor<'refresh'> = async (p, ctx, rt) =>
  tableTask('refresh', p, ctx, rt, async (ctx) => {
    if (p.from !== undefined && TABLES[p.table].refreshMode === 'daily-snapshot' && p.from !== p.date) {
      throw new UnrecoverableError(`${p.table} is a daily snapshot: 'from' must be omitted or equal 'date'`);
    }
    const range = p.from ? { from: p.from, to: p.date } : refreshRange(p.table, p.date, rt.config.refreshWindowDays);
    // A derived table needs its source table's views too.
    await checkSources(ctx, refreshOrder([p.table]));
    await requireCompleted(p.after, p.table, rt);
    const r = await refreshTable(ctx, p.table, range, rt.clock.now(), {
      minRatio: rt.config.publishMinRatio,
      accept: p.acceptAnomaly ?? false,
    });
    await ctx.job.updateProgress(100);
    // The anomalies among the actions it read: the run's validation reports them without reading the view again.
    return { rowsWritten: r.rowsWritten, seconds: r.seconds, range, ...(r.anomalies ? { anomalies: r.anomalies } : {}) };
  });

/** A derived table's refresh reads its source table's rows for D: that refresh must have completed. */
async function requireCompleted(after: string | undefined, table: TableName, rt: WorkerRuntime): Promise<void> {
  if (after === undefined) return;
  const job = await Job.fromId(rt.queues.refresh, after);
  const state = job ? await job.getState() : 'missing';
  if (state !== 'completed') {
    throw new UnrecoverableError(
      `${table} is computed from ${derivedFrom(table) ?? 'another table'}, whose refresh ${after} is ` +
        `${state}: retry that job, then this one`,
    );
  }
}

export const retentionProcessor: Processor<'retention'> = async (p, ctx, rt) =>
  tableTask('retention', p, ctx, rt, async (ctx) => {
    const r = await applyRetention(ctx, p.table, p.date, rt.config.retentionDays[p.table], {
      timeZone: rt.config.scheduleTz,
      now: rt.clock.now(),
    });
    await ctx.job.updateProgress(100);
    return { cutoff: r.cutoff, rowsWritten: null, rowsDeleted: r.rowsDeleted, seconds: r.seconds };
  });

export const validationProcessor: Processor<'validation'> = async (p, ctx, rt) => {
  const started = performance.now();
  const settle = (outcome: 'success' | 'failure' | 'retry'): void =>
    rt.observer?.taskSettled?.('validation', 'all', outcome, (performance.now() - started) / 1000);
  let failedTasks: TaskState[];
  let report: ValidationReport;
  try {
    failedTasks = await unfinishedTasks(p.tasks, rt);
    report = await validate(
      ctx,
      p.date,
      p.tables,
      rt.config.refreshWindowDays,
      rt.clock.now(),
      await countedByRefresh(p.tasks, p.date, rt),
    );
    await rt.state.recordValidation(report, rt.clock.now().getTime());
  } catch (e) {
    // The validation itself could not run (warehouse, Redis): retried, or on the last attempt the run fails.
    if (isFinalFailure(ctx.job, classify(e), rt.config.jobs.attempts))
      await recordFinalFailure(rt, 'validation', ctx.job, e, (performance.now() - started) / 1000);
    else settle('retry');
    throw e;
  }
  await ctx.progress?.(formatValidation(report));
  const problems = [
    ...failedTasks.map((t) => `${t.id} ${t.state}${t.reason ? ` (${t.reason})` : ''}`),
    ...report.checks.filter((c) => c.falhas > 0).map((c) => `check ${c.name} failed (${c.falhas})`),
    ...report.tables.filter((t) => t.status === 'critical').map((t) => `${t.tabela} critical: ${t.reasons.join(', ')}`),
  ];
  const outcome = problems.length === 0 ? 'success' : 'failure';
  const retried = await rt.state.retries.take('validation', ctx.job.id);
  const run = await rt.state.finishRun(p.runId, outcome, problems, rt.clock.now().getTime(), retried);
  settle(outcome);
  if (run?.tracked !== false && run) rt.observer?.runFinished?.(((run.finishedAt ?? Date.now()) - run.plannedAt) / 1000);
  // The report is the result either way; a failed run is not retried: retry its failed task instead.
  if (outcome === 'failure') throw new UnrecoverableError(`run ${p.runId} failed: ${problems.join('; ')}`);
  return {
    worstStatus: report.worstStatus,
    checksPassed: report.checksPassed,
    tables: report.tables.map((t) => ({ tabela: t.tabela, status: t.status, registros: t.registros })),
  };
};

/** The source audit: whole-view anomaly counts, recorded for the metrics and `audit`'s readers. */
export const sourceAuditProcessor: Processor<'source-audit'> = async (_p, ctx, rt) => {
  const started = performance.now();
  try {
    const report = await runSourceAudit(ctx, () => rt.clock.now());
    await rt.state.recordAudit(report);
    await ctx.progress?.(formatAudit(report));
    rt.observer?.taskSettled?.('source-audit', 'all', 'success', (performance.now() - started) / 1000);
    return report;
  } catch (e) {
    rt.observer?.taskSettled?.(
      'source-audit',
      'all',
      isFinalFailure(ctx.job, e, rt.config.jobs.attempts) ? 'failure' : 'retry',
      (performance.now() - started) / 1000,
    );
    throw e;
  }
};

/** The anomalies a completed refresh of this run counted for D among the actions it read (its job's result). */
async function countedByRefresh(tasks: readonly QueuedTask[], date: IsoDate, rt: WorkerRuntime): Promise<ValidationCounts | undefined> {
  for (const t of tasks.filter((t) => t.queue === 'refresh')) {
    const job = await Job.fromId(rt.queues.refresh, t.id);
    const data = job?.data as Payload<'refresh'> | undefined;
    const counted = (job?.returnvalue as { anomalies?: ValidationCounts } | null | undefined)?.anomalies;
    if (data?.date === date && counted && (await job?.getState()) === 'completed') return counted;
  }
  return undefined;
}

type ValidationCounts = NonNullable<Parameters<typeof validate>[5]>;

interface TaskState {
  readonly id: string;
  readonly state: string;
  readonly reason?: string;
}

async function unfinishedTasks(tasks: readonly QueuedTask[], rt: WorkerRuntime): Promise<TaskState[]> {
  const out: TaskState[] = [];
  for (const t of tasks) {
    const job = await Job.fromId(rt.queues[t.queue], t.id);
    const state = job ? await job.getState() : 'missing';
    if (state !== 'completed') out.push({ id: t.id, state, reason: job?.failedReason || undefined });
  }
  return out;
}

/**
 * After a task completes: if it had failed and was retried (from the board)
 * after its run's validation failed, and every task of the run is now done,
 * validate again.
 */
export async function retryValidationIfUnblocked(job: Job, rt: WorkerRuntime): Promise<void> {
  const runId = (job.data as { runId?: string }).runId;
  if (!runId) return;
  const validation = await Job.fromId(rt.queues.validation, jobIds.validation(runId));
  if (!validation || (await validation.getState()) !== 'failed') return;
  const { tasks } = validation.data as Payload<'validation'>;
  // A derived refresh that failed because this one had: retry it now (its completion comes back here).
  for (const t of tasks.filter((t) => t.queue === 'refresh' && t.id !== job.id)) {
    const derived = await Job.fromId(rt.queues.refresh, t.id);
    if ((derived?.data as Payload<'refresh'> | undefined)?.after !== job.id || (await derived?.getState()) !== 'failed') continue;
    rt.log.info({ runId, jobId: t.id }, 'the table it is computed from is refreshed now: retrying it');
    await derived?.retry('failed').catch((err: unknown) => rt.log.debug({ runId, err }, 'derived refresh already retried'));
  }
  if ((await unfinishedTasks(tasks, rt)).length > 0) return;
  rt.log.info({ runId }, 'every task of the failed run is now done: validating again');
  // The run's record says it was validated again, after whose retry.
  const data = job.data as { table?: string; date?: string };
  const settled = (await rt.state.history.tasks(runId)).find(
    (t) => t.task === job.queueName && t.table === data.table && t.date === data.date,
  );
  await rt.state.retries.mark('validation', [validation.id ?? jobIds.validation(runId)], {
    at: rt.clock.now().getTime(),
    ...(settled?.retriedBy ? { by: settled.retriedBy } : {}),
  });
  // Two tasks completing together may both get here: the second retry finds it no longer failed.
  await validation.retry('failed').catch((err: unknown) => rt.log.debug({ runId, err }, 'validation already retried'));
}
