/**
 * Backfill: rebuild a date range. The rolling-window table is rebuilt one
 * chunk of days per atomic replace (not seven overlapping windows per date);
 * the snapshot tables one date at a time. Each chunk is one run (a flow with
 * its own validation), at a lower priority than the daily run.
 */
import type { FlowProducer } from 'bullmq';
import type { Config } from '../config/index.js';
import { addDays, daysBetween, type IsoDate } from '../dates.js';
import { UsageError } from '../errors.js';
import type { StateStore } from '../state/store.js';
import type { TableName } from '../tables/registry.js';
import { enqueueRun, type PlannedRun, type RunPlan } from './planner.js';

export const MAX_DAYS_WITHOUT_FORCE = 730;
/** Backfill jobs yield to the daily run (BullMQ: higher number = later). */
export const BACKFILL_PRIORITY = 10;

export interface BackfillRequest {
  readonly from: IsoDate;
  readonly to: IsoDate;
  readonly tables: readonly TableName[];
  readonly force: boolean;
  /** Dates after today were accepted explicitly (--allow-future). */
  readonly allowFuture?: boolean;
  /** Who asked for the backfill (kept in each chunk's run record). */
  readonly operator?: string;
}

export function planBackfill(config: Config, req: BackfillRequest): RunPlan[] {
  if (req.from > req.to) throw new UsageError(`--from ${req.from} is after --to ${req.to}: swap them`);
  const days = daysBetween(req.from, req.to) + 1;
  if (days > MAX_DAYS_WITHOUT_FORCE && !req.force) {
    throw new UsageError(`the backfill covers ${days} days (more than ${MAX_DAYS_WITHOUT_FORCE}): add --force if that is intended`);
  }
  const plans: RunPlan[] = [];
  for (let start = req.from; start <= req.to; start = addDays(start, config.jobs.backfillChunkDays)) {
    const end = [addDays(start, config.jobs.backfillChunkDays - 1), req.to].sort()[0] as IsoDate;
    plans.push({
      runId: `bf_${start}_${end}`,
      date: end,
      from: start,
      tables: req.tables,
      retention: false,
      priority: BACKFILL_PRIORITY,
      ...(req.allowFuture ? { allowFuture: true } : {}),
      origin: { trigger: 'backfill', ...(req.operator ? { operator: req.operator } : {}) },
    });
  }
  return plans;
}

export async function enqueueBackfill(
  flows: FlowProducer,
  state: StateStore,
  config: Config,
  plans: readonly RunPlan[],
  onProgress: (done: number, total: number) => void,
): Promise<PlannedRun[]> {
  const out: PlannedRun[] = [];
  for (const plan of plans) {
    out.push(await enqueueRun(flows, state, config, plan));
    onProgress(out.length, plans.length);
  }
  return out;
}
