/**
 * Plans runs as BullMQ flows: validation ← retention:T ← refresh:T for each
 * table T; a derived table's refresh (priorities) has its source table's
 * chain (snapshot) for the same date as its child, so it runs after it. Job ids are deterministic, so planning the same run twice (a
 * double-fired tick, a repeated manual run) adds nothing. A failing task does
 * not block the others: validation starts once every task has settled and
 * reports the failures.
 */
import type { FlowJob, FlowProducer, JobsOptions } from 'bullmq';
import type { Config } from '../config/index.js';
import { dateRange, type IsoDate } from '../dates.js';
import { TABLES, TABLE_NAMES, derivedFrom, refreshOrder, type TableName } from '../tables/registry.js';
import { jobIds, type Payload, type TaskRef } from '../queue/jobs.js';
import { defaultJobOptions } from '../queue/queues.js';
import type { RunOrigin, RunRecord, StateStore } from '../state/store.js';

export interface RunPlan {
  readonly runId: string;
  /** The reference date D (for a backfill chunk: its last day). */
  readonly date: IsoDate;
  readonly tables: readonly TableName[];
  /** Backfill chunk: the first day; the snapshot tables are refreshed for every day from..date. */
  readonly from?: IsoDate;
  /** Daily runs include retention; backfill chunks do not. */
  readonly retention: boolean;
  /** BullMQ priority (higher number = later): backfills yield to the daily run. */
  readonly priority?: number;
  /** D is after today and an operator said so (--allow-future): the workers accept it. */
  readonly allowFuture?: boolean;
  /** `run --accept-anomaly`: the refreshes publish what the publish guard would hold. */
  readonly acceptAnomaly?: boolean;
  /** What planned it and who asked, kept in its run record (default: a manual run). */
  readonly origin?: RunOrigin;
}

export interface PlannedRun {
  readonly runId: string;
  readonly date: IsoDate;
  readonly validationJobId: string;
  /** False when this run had been planned before (nothing was added). */
  readonly added: boolean;
  /** Its claim had been left without a flow (an interrupted planning): the flow was added now. */
  readonly repaired?: boolean;
}

export function buildFlow(plan: RunPlan, config: Config): FlowJob {
  const base: JobsOptions = { ...defaultJobOptions(config), ...(plan.priority ? { priority: plan.priority } : {}) };
  const child: JobsOptions = { ...base, ignoreDependencyOnFailure: true };
  const tasks: TaskRef[] = [];
  const tables = TABLE_NAMES.filter((t) => refreshOrder(plan.tables).includes(t));
  const future = plan.allowFuture ? { allowFuture: true as const } : {};
  // Per table, its jobs by date (the top of its chain: retention on a daily run, else the refresh).
  const tops = new Map<TableName, Map<string, FlowJob>>();
  const refreshIds = new Map<string, string>();
  for (const table of refreshOrder(plan.tables)) {
    const from = derivedFrom(table);
    const refreshes = refreshJobs(plan, table, child, (date) => {
      if (!from) return undefined;
      // A derived table's refresh waits for its source table's chain for the same date, and checks it completed.
      return {
        children: [tops.get(from)?.get(date)].filter((j): j is FlowJob => j !== undefined),
        after: refreshIds.get(`${from}|${date}`),
      };
    });
    if (from) tops.delete(from);
    tasks.push(...refreshes.map((r) => ({ queue: 'refresh' as const, id: r.opts?.jobId as string })));
    for (const r of refreshes) refreshIds.set(`${table}|${(r.data as Payload<'refresh'>).date}`, r.opts?.jobId as string);
    const byDate = new Map(refreshes.map((r) => [(r.data as Payload<'refresh'>).date, r]));
    if (plan.retention) {
      const id = jobIds.retention(table, plan.runId);
      tasks.push({ queue: 'retention', id });
      const data: Payload<'retention'> = { runId: plan.runId, date: plan.date, table, ...future };
      byDate.clear();
      byDate.set(plan.date, { name: 'retention', queueName: 'retention', data, opts: { ...child, jobId: id }, children: refreshes });
    }
    tops.set(table, byDate);
  }
  // Alternate tables (day 1 of each, then day 2…) so that concurrent workers pick different tables
  // instead of queueing behind one table's lock.
  const children = interleave(tables.filter((t) => tops.has(t)).map((t) => [...(tops.get(t)?.values() ?? [])]));
  const data: Payload<'validation'> = { runId: plan.runId, date: plan.date, tables, tasks, ...future };
  return { name: 'validation', queueName: 'validation', data, opts: { ...base, jobId: jobIds.validation(plan.runId) }, children };
}

function interleave<T>(lists: readonly (readonly T[])[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < Math.max(0, ...lists.map((l) => l.length)); i++) for (const l of lists) if (i < l.length) out.push(l[i] as T);
  return out;
}

interface Dependency {
  readonly children: FlowJob[];
  /** The source table's refresh job for the same date. */
  readonly after: string | undefined;
}

function refreshJobs(plan: RunPlan, table: TableName, opts: JobsOptions, dependency: (date: IsoDate) => Dependency | undefined): FlowJob[] {
  const job = (date: IsoDate, id: string, from?: IsoDate): FlowJob => {
    const dep = dependency(date);
    const data: Payload<'refresh'> = {
      runId: plan.runId,
      date,
      table,
      ...(from ? { from } : {}),
      ...(dep?.after ? { after: dep.after } : {}),
      ...(plan.allowFuture ? { allowFuture: true as const } : {}),
      ...(plan.acceptAnomaly ? { acceptAnomaly: true } : {}),
    };
    return {
      name: 'refresh',
      queueName: 'refresh',
      data,
      opts: { ...opts, jobId: id },
      ...(dep?.children.length ? { children: dep.children } : {}),
    };
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
export async function runIdFor(
  state: StateStore,
  config: Config,
  date: IsoDate,
  tables: readonly TableName[],
  force: boolean,
): Promise<string> {
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
 * A claim younger than this may belong to a planner that is adding its flow
 * right now; an older unfinished claim without its validation job was left by
 * a planner that stopped in between (a crash, a lost connection).
 */
export const CLAIM_GRACE_MS = 5_000;

/** The run was claimed but its flow never added: unfinished, past the grace period, and its validation job absent. */
export async function isLostClaim(flows: FlowProducer, run: RunRecord, now: Date = new Date()): Promise<boolean> {
  if (run.finishedAt !== undefined || now.getTime() - run.plannedAt < CLAIM_GRACE_MS) return false;
  const node = await flows.getFlow({ id: jobIds.validation(run.runId), queueName: 'validation', depth: 1, maxChildren: 1 });
  return node?.job === undefined;
}

/**
 * Add the run's flow unless it was planned before. The run record is claimed
 * atomically first, so two planners racing on the same run add it once; a
 * claim whose flow was never added (the planner stopped in between) is
 * re-planned, with the same deterministic job ids.
 */
export async function enqueueRun(
  flows: FlowProducer,
  state: StateStore,
  config: Config,
  plan: RunPlan,
  now: Date = new Date(),
): Promise<PlannedRun> {
  const planned = { runId: plan.runId, date: plan.date, validationJobId: jobIds.validation(plan.runId) };
  const origin = plan.origin ?? { trigger: plan.from === undefined ? 'manual' : 'backfill' };
  if (!(await state.startRun(plan.runId, plan.date, { tracked: plan.from === undefined, plannedAt: now.getTime(), origin }))) {
    const claim = await state.run(plan.runId);
    if (claim === undefined || !(await isLostClaim(flows, claim, now))) return { ...planned, added: false };
    await state.resumeRun(claim);
    await flows.add(buildFlow(plan, config));
    return { ...planned, added: true, repaired: true };
  }
  try {
    await flows.add(buildFlow(plan, config));
  } catch (e) {
    await state.forgetRun(plan.runId);
    throw e;
  }
  return { ...planned, added: true };
}
