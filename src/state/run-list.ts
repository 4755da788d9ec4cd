/** The run records as `runs`, `GET /api/v1/runs` and the `/runs` page show them: newest first, with kind, outcome and duration. */
import type { RunTask } from './run-history.js';
import type { RunRecord, StateStore } from './store.js';

export const RUN_KINDS = ['daily', 'forced', 'subset', 'backfill', 'inline'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/** How a run came to be, from its id: the daily run `D`, a forced re-run `D#n`, a subset `D_02`, a backfill chunk, an inline run. */
export function runKind(runId: string): RunKind {
  if (runId.startsWith('bf_')) return 'backfill';
  if (runId.startsWith('inline-')) return 'inline';
  if (runId.includes('#')) return 'forced';
  if (runId.includes('_')) return 'subset';
  return 'daily';
}

export interface RunSummary extends Omit<RunRecord, 'outcome'> {
  readonly kind: RunKind;
  readonly outcome: 'success' | 'failure' | 'running';
  /** Planning to the end of validation; null while running. */
  readonly seconds: number | null;
}

export interface RunDetail extends RunSummary {
  readonly tasks: readonly RunTask[];
}

export function summarize(r: RunRecord): RunSummary {
  const seconds = r.finishedAt === undefined ? null : Math.round((r.finishedAt - r.plannedAt) / 100) / 10;
  return { ...r, kind: runKind(r.runId), outcome: r.outcome ?? 'running', seconds };
}

/** The latest runs, newest planned first, at most `limit`, only those for reference date `date` when given. */
export async function listRuns(state: StateStore, opts: { date?: string; limit: number }): Promise<RunSummary[]> {
  const ids = await state.history.ids();
  const records: RunRecord[] = [];
  for (let i = 0; i < ids.length && records.length < opts.limit; i += 200) {
    const page = await Promise.all(ids.slice(i, i + 200).map((id) => state.run(id)));
    records.push(...page.filter((r): r is RunRecord => r !== undefined && (opts.date === undefined || r.date === opts.date)));
  }
  return records.slice(0, opts.limit).map(summarize);
}

/** One run with its settled table tasks; undefined when not recorded (or pruned). */
export async function runDetail(state: StateStore, runId: string): Promise<RunDetail | undefined> {
  const rec = await state.run(runId);
  return rec === undefined ? undefined : { ...summarize(rec), tasks: await state.history.tasks(runId) };
}
