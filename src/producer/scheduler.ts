/**
 * The daily schedule: a BullMQ job scheduler (idempotent upsert, never
 * `immediately`), the planner that turns each tick into a run for D = the
 * tick's date in SCHEDULE_TZ, and the catch-up for a tick missed while down.
 * While the schedule is paused (recorded in Redis, see pause.ts) the job
 * scheduler stays registered and its ticks plan nothing.
 */
import { CronExpressionParser } from 'cron-parser';
import type { FlowProducer, Job } from 'bullmq';
import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import { dateInZone, type IsoDate } from '../dates.js';
import type { Logger } from '../log.js';
import { defaultJobOptions, type Queues } from '../queue/queues.js';
import type { RunOrigin, StateStore } from '../state/store.js';
import { TABLE_NAMES } from '../tables/registry.js';
import type { Processor } from '../workers/factory.js';
import { enqueueRun, isLostClaim, type PlannedRun } from './planner.js';

export const SCHEDULER_ID = 'daily-refresh';
/** The source audit's own job scheduler, on its own queue. */
export const AUDIT_SCHEDULER_ID = 'source-audit';

export function nextFireTimes(config: Pick<Config, 'scheduleCron' | 'scheduleTz'>, count = 3, from = new Date()): Date[] {
  const it = CronExpressionParser.parse(config.scheduleCron, { tz: config.scheduleTz, currentDate: from });
  return Array.from({ length: count }, () => it.next().toDate());
}

export function previousFireTime(config: Pick<Config, 'scheduleCron' | 'scheduleTz'>, now = new Date()): Date {
  return CronExpressionParser.parse(config.scheduleCron, { tz: config.scheduleTz, currentDate: now }).prev().toDate();
}

/** Create or update the scheduler; safe on every start (one scheduler, one delayed job). */
export async function upsertSchedule(queues: Queues, config: Config, state: StateStore, log: Logger, clock: Clock): Promise<Date[]> {
  const { removeOnComplete, removeOnFail } = defaultJobOptions(config);
  await queues.schedule.upsertJobScheduler(
    SCHEDULER_ID,
    { pattern: config.scheduleCron, tz: config.scheduleTz },
    { name: 'plan', data: {}, opts: { removeOnComplete, removeOnFail } },
  );
  await queues['source-audit'].upsertJobScheduler(
    AUDIT_SCHEDULER_ID,
    { pattern: config.sourceAuditCron, tz: config.scheduleTz },
    { name: 'source-audit', data: {}, opts: { removeOnComplete, removeOnFail } },
  );
  const next = nextFireTimes(config, 3, clock.now());
  await state.recordScheduler({ nextRunAt: next[0]?.getTime() });
  log.info(
    { cron: config.scheduleCron, tz: config.scheduleTz, next: next.map((d) => d.toISOString()), sourceAuditCron: config.sourceAuditCron },
    'schedule ready',
  );
  return next;
}

export interface PlanDeps {
  readonly config: Config;
  readonly flows: FlowProducer;
  readonly state: StateStore;
  readonly log: Logger;
  readonly clock: Clock;
}

/** The daily run for D, with all tables. Recorded for the scheduler's dead-man switch. */
export async function planDailyRun(deps: PlanDeps, date: IsoDate, origin: RunOrigin = { trigger: 'scheduled' }): Promise<PlannedRun> {
  const now = deps.clock.now();
  const planned = await enqueueRun(
    deps.flows,
    deps.state,
    deps.config,
    { runId: date, date, tables: TABLE_NAMES, retention: true, origin },
    now,
  );
  await deps.state.recordScheduler({ lastEnqueuedAt: now.getTime(), nextRunAt: nextFireTimes(deps.config, 1, now)[0]?.getTime() });
  const message = planned.repaired
    ? 'run had been claimed without its jobs (an interrupted planning): planned again'
    : planned.added
      ? 'run planned'
      : 'run for this date was planned before: nothing added';
  deps.log[planned.repaired ? 'warn' : 'info']({ date, added: planned.added }, message);
  return planned;
}

/** The tick's own time (not when a worker got to it) decides D. */
export function tickDate(job: Pick<Job, 'opts' | 'timestamp'>, timeZone: string): IsoDate {
  return dateInZone(new Date(job.opts.prevMillis ?? job.timestamp), timeZone);
}

export function scheduleProcessor(deps: PlanDeps): Processor<'schedule'> {
  return async (_payload, ctx) => {
    const date = tickDate(ctx.job, deps.config.scheduleTz);
    const pause = await deps.state.schedulePause();
    if (pause) {
      deps.log.info(
        { date, pausedAt: new Date(pause.at).toISOString(), pausedBy: pause.by },
        'schedule paused: tick skipped, no run planned',
      );
      await ctx.progress?.(`schedule paused: no run planned for ${date}`);
      return { skipped: 'paused', date };
    }
    const planned = await planDailyRun(deps, date);
    await ctx.progress?.(planned.added ? `planned run ${planned.runId}` : `run ${planned.runId} already planned`);
    return planned;
  };
}

/**
 * BullMQ does not replay ticks missed while nothing ran: if today's tick has
 * passed and today's run was never planned, or its claim was left without its
 * jobs, plan it now (unless the schedule is paused: then ticks and catch-up
 * plan nothing).
 */
export async function catchUp(deps: PlanDeps, operator?: string): Promise<PlannedRun | undefined> {
  const tz = deps.config.scheduleTz;
  const now = deps.clock.now();
  const last = previousFireTime(deps.config, now);
  const today = dateInZone(now, tz);
  if (dateInZone(last, tz) !== today) return undefined;
  const claim = await deps.state.run(today);
  if (claim && !(await isLostClaim(deps.flows, claim, now))) return undefined;
  const pause = await deps.state.schedulePause();
  if (pause) {
    deps.log.info(
      { date: today, pausedAt: new Date(pause.at).toISOString(), pausedBy: pause.by },
      "catch-up: schedule paused: today's run not planned",
    );
    return undefined;
  }
  const why = claim
    ? "catch-up: today's run was claimed but its jobs were never added: planning it again"
    : "catch-up: today's tick passed while no scheduler ran: planning today's run now";
  deps.log.info({ date: today, tick: last.toISOString() }, why);
  return planDailyRun(deps, today, { trigger: 'catch-up', ...(operator ? { operator } : {}) });
}
