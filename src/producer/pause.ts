/**
 * Pausing and resuming the schedule. The pause lives in Redis (StateStore), so
 * it survives restarts: start-up registers the job scheduler again but never
 * resumes it. Resuming plans today's run when today's tick passed while paused
 * (the same catch-up as at start-up). Both are audit-logged with the operator.
 */
import type { SchedulePause } from '../state/store.js';
import { catchUp, type PlanDeps } from './scheduler.js';
import type { PlannedRun } from './planner.js';

export interface PauseResult {
  /** False when the schedule was paused before (the first pause is kept). */
  readonly paused: boolean;
  readonly pause: SchedulePause;
}

export interface ResumeResult {
  /** The pause that ended; undefined when the schedule was not paused. */
  readonly ended?: SchedulePause;
  /** Today's run, planned because its tick passed while paused. */
  readonly caughtUp?: PlannedRun;
}

export async function pauseSchedule(
  deps: Pick<PlanDeps, 'state' | 'log' | 'clock'>,
  operator: string,
  reason?: string,
): Promise<PauseResult> {
  const wanted: SchedulePause = { at: deps.clock.now().getTime(), by: operator, ...(reason ? { reason } : {}) };
  const paused = await deps.state.pauseSchedule(wanted);
  const pause = paused ? wanted : ((await deps.state.schedulePause()) ?? wanted);
  deps.log.info(
    { audit: true, operator, action: 'schedule pause', reason, changed: paused },
    paused ? 'schedule paused' : 'schedule pause requested: it was paused already',
  );
  return { paused, pause };
}

export async function resumeSchedule(deps: PlanDeps, operator: string, opts: { catchUp: boolean }): Promise<ResumeResult> {
  const ended = await deps.state.resumeSchedule();
  deps.log.info(
    {
      audit: true,
      operator,
      action: 'schedule resume',
      changed: ended !== undefined,
      pausedAt: ended ? new Date(ended.at).toISOString() : undefined,
      pausedBy: ended?.by,
    },
    ended ? 'schedule resumed' : 'schedule resume requested: it was not paused',
  );
  const caughtUp = opts.catchUp ? await catchUp(deps, operator) : undefined;
  return { ended, caughtUp };
}
