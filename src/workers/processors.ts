/**
 * What each queue's job does. The work itself is in src/tasks (shared with
 * `run --inline`); here: table locks, recorded state, and the run's outcome.
 */
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { TABLES, type TableName } from '../tables/registry.js';
import { refreshRange, refreshTable } from '../tasks/refresh.js';
import { applyRetention } from '../tasks/retention.js';
import { checkSources } from '../tasks/sources.js';
import { validate, type ValidationReport } from '../tasks/validation.js';
import { formatValidation } from '../cli/report.js';
import type { Payload, TaskRef } from '../queue/jobs.js';
import { jobIds } from '../queue/jobs.js';
import { classify, type JobContext, type Processor } from './factory.js';
import { isFinalFailure, recordFinalFailure } from './failures.js';
import type { WorkerRuntime } from './runtime.js';

/** When a table is busy, look again after this long (plus jitter, so waiting tasks do not move in step). */
const LOCK_RETRY_MS = 300;

/** Run `fn` holding the table's lock; when another task holds it, come back later (no attempt used). */
async function withTableLock<T>(task: 'refresh' | 'retention', table: TableName, ctx: JobContext, rt: WorkerRuntime, fn: () => Promise<T>): Promise<T> {
  // The owner names the task: a `refresh:` holder is what "refresh in progress" reads.
  const lock = await rt.locks.acquire(table, `${task}:${ctx.job.id ?? 'job'}`);
  if (!lock) {
    const wait = LOCK_RETRY_MS + Math.floor(Math.random() * LOCK_RETRY_MS);
    await ctx.progress?.(`${table} is busy with another task: looking again in ${wait} ms`);
    await ctx.job.moveToDelayed(Date.now() + wait, ctx.token);
    throw new DelayedError();
  }
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/** A table task: under the table's lock, its outcome (success, retry, final failure) reported to the metrics. */
async function tableTask<T>(task: 'refresh' | 'retention', table: TableName, ctx: JobContext, rt: WorkerRuntime, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const result = await withTableLock(task, table, ctx, rt, fn);
    rt.observer?.taskSettled?.(task, table, 'success', (performance.now() - started) / 1000);
    return result;
  } catch (e) {
    const seconds = (performance.now() - started) / 1000;
    if (e instanceof DelayedError) throw e;
    if (isFinalFailure(ctx.job, classify(e), rt.config.jobs.attempts)) await recordFinalFailure(rt, task, ctx.job, e, seconds);
    else rt.observer?.taskSettled?.(task, table, 'retry', seconds);
    throw e;
  }
}

export const refreshProcessor: Processor<'refresh'> = async (p, ctx, rt) =>
  tableTask('refresh', p.table, ctx, rt, async () => {
    if (p.from !== undefined && TABLES[p.table].refreshMode === 'daily-snapshot' && p.from !== p.date) {
      throw new UnrecoverableError(`${p.table} is a daily snapshot: 'from' must be omitted or equal 'date'`);
    }
    const range = p.from ? { from: p.from, to: p.date } : refreshRange(p.table, p.date, rt.config.refreshWindowDays);
    await checkSources(ctx, [p.table]);
    const r = await refreshTable(ctx, p.table, range);
    await rt.state.bumpGeneration(p.table, p.date); // the replace committed: the read API's cached answers of this table are now old
    await rt.state.recordRefresh(p.table, { date: p.date, runId: p.runId, outcome: 'success', seconds: r.seconds, rowsWritten: r.rowsWritten, finishedAt: Date.now() });
    await ctx.job.updateProgress(100);
    return { rowsWritten: r.rowsWritten, seconds: r.seconds, range };
  });

export const retentionProcessor: Processor<'retention'> = async (p, ctx, rt) =>
  tableTask('retention', p.table, ctx, rt, async () => {
    const r = await applyRetention(ctx, p.table, p.date, rt.config.retentionDays[p.table], { timeZone: rt.config.scheduleTz });
    // Rows left the table: the read API's cached answers that showed them are old now.
    if (r.rowsDeleted > 0) await rt.state.bumpGeneration(p.table);
    await ctx.job.updateProgress(100);
    return { cutoff: r.cutoff, rowsDeleted: r.rowsDeleted, seconds: r.seconds };
  });

export const validationProcessor: Processor<'validation'> = async (p, ctx, rt) => {
  const started = performance.now();
  const settle = (outcome: 'success' | 'failure' | 'retry'): void => rt.observer?.taskSettled?.('validation', 'all', outcome, (performance.now() - started) / 1000);
  let failedTasks: TaskState[];
  let report: ValidationReport;
  try {
    failedTasks = await unfinishedTasks(p.tasks, rt);
    report = await validate(ctx, p.date, p.tables, rt.config.refreshWindowDays);
    await rt.state.recordValidation(report);
  } catch (e) {
    // The validation itself could not run (warehouse, Redis): retried, or on the last attempt the run fails.
    if (isFinalFailure(ctx.job, classify(e), rt.config.jobs.attempts)) await recordFinalFailure(rt, 'validation', ctx.job, e, (performance.now() - started) / 1000);
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
  const run = await rt.state.finishRun(p.runId, outcome, problems);
  settle(outcome);
  if (run?.tracked !== false && run) rt.observer?.runFinished?.(((run.finishedAt ?? Date.now()) - run.plannedAt) / 1000);
  // The report is the result either way; a failed run is not retried: retry its failed task instead.
  if (outcome === 'failure') throw new UnrecoverableError(`run ${p.runId} failed: ${problems.join('; ')}`);
  return { worstStatus: report.worstStatus, checksPassed: report.checksPassed, tables: report.tables.map((t) => ({ tabela: t.tabela, status: t.status, registros: t.registros })) };
};

interface TaskState {
  readonly id: string;
  readonly state: string;
  readonly reason?: string;
}

async function unfinishedTasks(tasks: readonly TaskRef[], rt: WorkerRuntime): Promise<TaskState[]> {
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
  if ((await unfinishedTasks(tasks, rt)).length > 0) return;
  rt.log.info({ runId }, 'every task of the failed run is now done: validating again');
  // Two tasks completing together may both get here: the second retry finds it no longer failed.
  await validation.retry('failed').catch((err: unknown) => rt.log.debug({ runId, err }, 'validation already retried'));
}
