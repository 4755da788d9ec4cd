/**
 * The work being measured, through the service's own task functions: the
 * daily run for D, and what a non-incremental job would do instead.
 */
import { addDays, type IsoDate } from '../src/dates.js';
import { TABLE_NAMES, refreshOrder, type TableName } from '../src/tables/registry.js';
import type { TaskContext } from '../src/tasks/context.js';
import { refreshTable } from '../src/tasks/refresh.js';
import { refreshRange } from '../src/tables/windows.js';
import { applyRetention } from '../src/tasks/retention.js';
import { checkSources } from '../src/tasks/sources.js';
import { validate } from '../src/tasks/validation.js';
import { measure, seconds, type Cost } from './support.js';

export interface DailyTimes {
  readonly sources: number;
  readonly refresh: Readonly<Record<TableName, number>>;
  /** The three refreshes together. */
  readonly refreshTotal: Cost;
  readonly retention: number;
  readonly validation: number;
  readonly total: number;
}

/**
 * The daily run for D, as the scheduler's flow runs it: the source check,
 * refresh of the three tables (crm_metrics_daily over the rolling window, the
 * two snapshots for D), retention of the three tables, then validation.
 */
export async function dailyRun(ctx: TaskContext, refDate: IsoDate, windowDays: number, retentionDays: number): Promise<DailyTimes> {
  const refresh = {} as Record<TableName, number>;
  const sources = await seconds(() => checkSources(ctx, TABLE_NAMES));
  let cpu = 0;
  let counted: Awaited<ReturnType<typeof refreshTable>>['anomalies'];
  for (const table of refreshOrder(TABLE_NAMES)) {
    const cost = await measure(async () => {
      counted = (await refreshTable(ctx, table, refreshRange(table, refDate, windowDays))).anomalies ?? counted;
    });
    refresh[table] = cost.wall;
    cpu += cost.cpu;
  }
  const wall = TABLE_NAMES.reduce((sum, t) => sum + refresh[t], 0);
  const retention = await seconds(async () => {
    // Retention as run on the day D itself (the future-date bound reads "today" from this clock).
    const clock = { timeZone: 'UTC', now: new Date(`${refDate}T12:00:00Z`) };
    for (const table of TABLE_NAMES) await applyRetention(ctx, table, refDate, retentionDays, clock);
  });
  const validation = await seconds(async () => {
    const report = await validate(ctx, refDate, TABLE_NAMES, windowDays, new Date(), counted);
    if (!report.checksPassed) throw new Error(`validation failed for ${refDate}: ${JSON.stringify(report.checks)}`);
  });
  return { sources, refresh, refreshTotal: { wall, cpu }, retention, validation, total: sources + wall + retention + validation };
}

export interface FullTimes {
  readonly metrics: number;
  readonly snapshots: number;
  readonly total: Cost;
}

/** Without incrementality: crm_metrics_daily over the whole history in one window, plus the two snapshots for D. */
export async function fullRebuild(ctx: TaskContext, startDate: IsoDate, refDate: IsoDate): Promise<FullTimes> {
  const metrics = await measure(() => refreshTable(ctx, 'crm_metrics_daily', { from: startDate, to: refDate }));
  const snapshots = await measure(async () => {
    await refreshTable(ctx, 'crm_actions_open_snapshot', { from: refDate, to: refDate });
    await refreshTable(ctx, 'crm_action_priorities_daily', { from: refDate, to: refDate });
  });
  return {
    metrics: metrics.wall,
    snapshots: snapshots.wall,
    total: { wall: metrics.wall + snapshots.wall, cpu: metrics.cpu + snapshots.cpu },
  };
}

/** Snapshot rows for the `days` days before D, as the tables hold them in steady state. */
export async function primeSnapshots(ctx: TaskContext, refDate: IsoDate, days: number): Promise<void> {
  for (let i = days; i >= 1; i--) {
    const d = addDays(refDate, -i);
    await refreshTable(ctx, 'crm_actions_open_snapshot', { from: d, to: d });
    await refreshTable(ctx, 'crm_action_priorities_daily', { from: d, to: d });
  }
}
