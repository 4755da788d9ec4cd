/** `runs` and `runs show <id>`: what ran when, how long each task took, what failed and why (from the run records in Redis). */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { RunTask } from '../state/run-history.js';
import type { RunRecord } from '../state/store.js';
import { formatInstant, outputWidth, textTable } from '../text-table.js';
import { parseIntFlag } from './options.js';
import { parseIsoDate } from '../dates.js';

type Out = (text: string) => void;

/** How a run came to be, from its id: the daily run `D`, a forced re-run `D#n`, a subset `D_02`, a backfill chunk, an inline run. */
export function runKind(runId: string): string {
  if (runId.startsWith('bf_')) return 'backfill';
  if (runId.startsWith('inline-')) return 'inline';
  if (runId.includes('#')) return 'forced';
  if (runId.includes('_')) return 'subset';
  return 'daily';
}

const seconds = (r: RunRecord): number | null => (r.finishedAt === undefined ? null : Math.round((r.finishedAt - r.plannedAt) / 100) / 10);
const summary = (r: RunRecord) => ({ ...r, kind: runKind(r.runId), outcome: r.outcome ?? 'running', seconds: seconds(r) });

const load = () => import('./queue-client.js');

export function registerRunsCommands(program: Command, out: Out): void {
  const runs = program
    .command('runs')
    .description('the latest runs, newest first: kind, D, when planned, duration, outcome (kept RUNS_KEEP_DAYS)')
    .option('--date <YYYY-MM-DD>', 'only the runs for this reference date (a backfill chunk: its last day)')
    .option('--limit <N>', 'at most N runs (default 20)')
    .option('--json', 'print as JSON')
    // `runs show <id> --json`: options after `show` are show's own (with the program's positional options).
    .enablePositionalOptions()
    .action(async (opts: { date?: string; limit?: string; json?: boolean }) => {
      const limit = parseIntFlag(opts.limit, '--limit', 1, 10_000) ?? 20;
      const date = opts.date === undefined ? undefined : parseIsoDate(opts.date, '--date');
      const { withQueues } = await load();
      await withQueues(async ({ state, config }) => {
        const ids = await state.history.ids();
        const records: RunRecord[] = [];
        for (let i = 0; i < ids.length && records.length < limit; i += 200) {
          const page = await Promise.all(ids.slice(i, i + 200).map((id) => state.run(id)));
          records.push(...page.filter((r): r is RunRecord => r !== undefined && (date === undefined || r.date === date)));
        }
        const shown = records.slice(0, limit).map(summary);
        if (opts.json) return out(JSON.stringify(shown, null, 2));
        if (shown.length === 0) return out(`no runs recorded${date ? ` for ${date}` : ''} (runs are kept ${config.runsKeepDays} days)`);
        const at = (ms: number): string => formatInstant(ms, config.scheduleTz, true);
        out(textTable(['run', 'kind', 'D', 'planned', 'seconds', 'outcome', 'problems'], shown.map((r) => [r.runId, r.kind, r.date, at(r.plannedAt), r.seconds, r.outcome, (r.failed ?? []).join('; ')]), outputWidth()));
      });
    });

  runs
    .command('show <id>')
    .description("one run: its record and every table task's outcome, duration, rows and error")
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const { withQueues } = await load();
      await withQueues(async ({ state, config }) => {
        const rec = await state.run(id);
        if (!rec) throw new UsageError(`run '${id}' is not recorded (or older than RUNS_KEEP_DAYS=${config.runsKeepDays}): list the runs with 'crm-materializer runs'`);
        const tasks = await state.history.tasks(id);
        if (opts.json) return out(JSON.stringify({ ...summary(rec), tasks }, null, 2));
        printRun(summary(rec), tasks, config.scheduleTz, out);
      });
    });
}

function printRun(r: ReturnType<typeof summary>, tasks: readonly RunTask[], tz: string, out: Out): void {
  const width = outputWidth();
  out(`run ${r.runId} (${r.kind}) for D ${r.date}: ${r.outcome}`);
  out(`planned ${formatInstant(r.plannedAt, tz)}${r.finishedAt ? `, finished ${formatInstant(r.finishedAt, tz)} (${r.seconds} s)` : ''}`);
  for (const problem of r.failed ?? []) out(`  problem: ${problem}`);
  if (tasks.length === 0) return out('no table task recorded yet');
  out('');
  out(textTable(['task', 'table', 'D', 'outcome', 'seconds', 'rows', 'error'], tasks.map((t) => [t.task, t.table, t.date, t.outcome, t.seconds.toFixed(1), t.task === 'refresh' ? t.rowsWritten : (t.rowsDeleted ?? null), t.error]), width));
}
