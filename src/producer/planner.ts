/**
 * Plans runs as BullMQ flows: validation ← retention:T ← refresh:T for each
 * table T. Job ids are deterministic, so planning the same run twice (a
 * double-fired tick, a repeated manual run) adds nothing. A failing task does
 * not block the others: validation starts once every task has settled and
 * reports the failures.
 */
import type { FlowJob, FlowProducer, JobsOptions } from 'bullmq';
import type { Config } from '../config/index.js';
import { dateRange } from '../dates.js';
import type { TableName } from '../tables/registry.js';
import { TABLE_NAMES, TABLES } from '../tables/registry.js';
import { jobIds, type Payload, type TaskRef } from '../queue/jobs.js';
import { defaultJobOptions } from '../queue/queues.js';
import type { StateStore } from '../state/store.js';

export interface RunPlan {
  readonly runId: string;
  /** The reference date D (for a backfill chunk: its last day). */
  readonly date: string;
  readonly tables: readonly TableName[];
  /** Backfill chunk: the first day; the snapshot tables are refreshed for every day from..date. */
  readonly from?: string;
  /** Daily runs include retention; backfill chunks do not. */
  readonly retention: boolean;
  /** BullMQ priority (higher number = later): backfills yield to the daily run. */
  readonly priority?: number;
}

export interface PlannedRun {
  readonly runId: string;
  readonly date: string;
  readonly validationJobId: string;
  /** False when this run had been planned before (nothing was added). */
  readonly added: boolean;
}

export function buildFlow(plan: RunPlan, config: Config): FlowJob {
  const base: JobsOptions = { ...defaultJobOptions(config), ...(plan.priority ? { priority: plan.priority } : {}) };
  const child: JobsOptions = { ...base, ignoreDependencyOnFailure: true };
  const tasks: TaskRef[] = [];
  const perTable: FlowJob[][] = plan.tables.map((table) => {
    const refreshes = refreshJobs(plan, table, child);
    tasks.push(...refreshes.map((r) => ({ queue: 'refresh' as const, id: r.opts?.jobId as string })));
    if (!plan.retention) return refreshes;
    const id = jobIds.retention(table, plan.runId);
    tasks.push({ queue: 'retention', id });
    const data: Payload<'retention'> = { runId: plan.runId, date: plan.date, table };
    return [{ name: 'retention', queueName: 'retention', data, opts: { ...child, jobId: id }, children: refreshes }];
  });
  // Alternate tables (day 1 of each, then day 2…) so that concurrent workers pick different tables
  // instead of queueing behind one table's lock.
  const children = interleave(perTable);
  const data: Payload<'validation'> = { runId: plan.runId, date: plan.date, tables: [...plan.tables], tasks };
  return { name: 'validation', queueName: 'validation', data, opts: { ...base, jobId: jobIds.validation(plan.runId) }, children };
}

function interleave<T>(lists: readonly (readonly T[])[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < Math.max(0, ...lists.map((l) => l.length)); i++) for (const l of lists) if (i < l.length) out.push(l[i] as T);
  return out;
}

function refreshJobs(plan: RunPlan, table: TableName, opts: JobsOptions): FlowJob[] {
  const job = (date: string, id: string, from?: string): FlowJob => {
    const data: Payload<'refresh'> = { runId: plan.runId, date, table, ...(from ? { from } : {}) };
    return { name: 'refresh', queueName: 'refresh', data, opts: { ...opts, jobId: id } };
  };
  if (plan.from === undefined) return [job(plan.date, jobIds.refresh(table, plan.runId))];
  // Backfill chunk: one atomic replace for a rolling-window table, one refresh per day for a snapshot.
  if (TABLES[table].refreshMode === 'rolling-window') return [job(plan.date, jobIds.refresh(table, plan.runId), plan.from)];
  return dateRange(plan.from, plan.date).map((d) => job(d, `${jobIds.refresh(table, plan.runId)}__${d}`));
}

/**
 * The run id: D for the daily run of all tables (`D_02` for a subset, by
 * registry index); a forced re-run gets the next free number, `D#2`, `D#3`…
 */
export async function runIdFor(state: StateStore, config: Config, date: string, tables: readonly TableName[], force: boolean): Promise<string> {
  const base = `${date}${tables.length === TABLE_NAMES.length ? '' : `_${tables.map((t) => TABLE_NAMES.indexOf(t)).join('')}`}`;
  if (!force) return base;
  // The number is kept as long as BullMQ keeps the jobs whose ids it is part of.
  const keepSeconds = Math.max(config.jobs.keepCompletedDays, config.jobs.keepFailedDays) * 86_400;
  return state.nextForcedRunId(base, keepSeconds);
}

/** Jobs in a flow: what a run adds to the queues. */
export function countJobs(flow: FlowJob): number {
  return 1 + (flow.children ?? []).reduce((n, c) => n + countJobs(c), 0);
}

/**
 * Add the run's flow unless it was planned before. The run record is claimed
 * atomically first, so two planners racing on the same run add it once.
 */
export async function enqueueRun(flows: FlowProducer, state: StateStore, config: Config, plan: RunPlan): Promise<PlannedRun> {
  const validationJobId = jobIds.validation(plan.runId);
  if (!(await state.startRun(plan.runId, plan.date, { tracked: plan.from === undefined }))) return { runId: plan.runId, date: plan.date, validationJobId, added: false };
  try {
    await flows.add(buildFlow(plan, config));
  } catch (e) {
    await state.forgetRun(plan.runId);
    throw e;
  }
  return { runId: plan.runId, date: plan.date, validationJobId, added: true };
}
