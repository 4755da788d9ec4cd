/**
 * `runs` and `runs show <id>`: what ran when, how and by whom, how long each task took, what failed
 * and why (from the run records in Redis).
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { RunDetail, RunSummary } from '../state/run-list.js';
import { formatInstant, outputWidth, textTable } from '../text-table.js';
import { parseIntFlag } from './options.js';
import { parseIsoDate } from '../dates.js';

type Out = (text: string) => void;

const load = () => Promise.all([import('./queue-client.js'), import('../state/run-list.js')]);

/** How a run was triggered and by whom, in a few words: `manual by jane`, `scheduled`. */
const how = (r: RunSummary): string => `${r.trigger ?? '-'}${r.operator ? ` by ${r.operator}` : ''}`;

export function registerRunsCommands(program: Command, out: Out): void {
  const runs = program
    .command('runs')
    .description('the latest runs, newest first: kind, D, trigger and operator, when planned, duration, outcome (kept RUNS_KEEP_DAYS)')
    .option('--date <YYYY-MM-DD>', 'only the runs for this reference date (a backfill chunk: its last day)')
    .option('--limit <N>', 'at most N runs (default 20)')
    .option('--json', 'print as JSON')
    // `runs show <id> --json`: options after `show` are show's own (with the program's positional options).
    .enablePositionalOptions()
    .action(async (opts: { date?: string; limit?: string; json?: boolean }) => {
      const limit = parseIntFlag(opts.limit, '--limit', 1, 10_000) ?? 20;
      const date = opts.date === undefined ? undefined : parseIsoDate(opts.date, '--date');
      const [{ withQueues }, { listRuns }] = await load();
      await withQueues(async ({ state, config }) => {
        const shown = await listRuns(state, { date, limit });
        if (opts.json) return out(JSON.stringify(shown, null, 2));
        if (shown.length === 0) return out(`no runs recorded${date ? ` for ${date}` : ''} (runs are kept ${config.runsKeepDays} days)`);
        const at = (ms: number): string => formatInstant(ms, config.scheduleTz, true);
        const rows = shown.map((r) => [
          r.runId,
          r.kind,
          r.date,
          how(r),
          at(r.plannedAt),
          r.startedAt === undefined ? null : at(r.startedAt),
          r.seconds,
          r.outcome,
          (r.failed ?? []).join('; '),
        ]);
        out(textTable(['run', 'kind', 'D', 'trigger', 'planned', 'started', 'seconds', 'outcome', 'problems'], rows, outputWidth()));
      });
    });

  runs
    .command('show <id>')
    .description("one run: its record (trigger, operator) and every table task's outcome, attempts, duration, rows and error")
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const [{ withQueues }, { runDetail }] = await load();
      await withQueues(async ({ state, config }) => {
        const run = await runDetail(state, id);
        if (!run)
          throw new UsageError(
            `run '${id}' is not recorded (or older than RUNS_KEEP_DAYS=${config.runsKeepDays}): list the runs with 'crm-materializer runs'`,
          );
        if (opts.json) return out(JSON.stringify(run, null, 2));
        printRun(run, config.scheduleTz, out);
      });
    });
}

function printRun(r: RunDetail, tz: string, out: Out): void {
  const width = outputWidth();
  out(`run ${r.runId} (${r.kind}) for D ${r.date}: ${r.outcome}`);
  out(`trigger: ${how(r)}`);
  const started = r.startedAt === undefined ? ', not started' : `, started ${formatInstant(r.startedAt, tz)}`;
  const finished = r.finishedAt ? `, finished ${formatInstant(r.finishedAt, tz)} (${r.seconds} s)` : '';
  out(`planned ${formatInstant(r.plannedAt, tz)}${started}${finished}`);
  if (r.revalidated)
    out(`validated again ${formatInstant(r.revalidated.at, tz)} after a board retry${r.revalidated.by ? ` by ${r.revalidated.by}` : ''}`);
  for (const problem of r.failed ?? []) out(`  problem: ${problem}`);
  if (r.tasks.length === 0) return out('no table task recorded yet');
  out('');
  const rows = r.tasks.map((t) => [
    t.task,
    t.table,
    t.date,
    t.outcome,
    t.attempts ?? null,
    t.retriedBy ?? null,
    t.seconds.toFixed(1),
    t.task === 'refresh' ? t.rowsWritten : (t.rowsDeleted ?? null),
  ]);
  out(textTable(['task', 'table', 'D', 'outcome', 'attempts', 'retried by', 'seconds', 'rows'], rows, width));
  // Errors are long: one line each under the table, whole.
  const failed = r.tasks.filter((t) => t.error);
  if (failed.length > 0) out(['', 'errors:', ...failed.map((t) => `  ${t.task} ${t.table} ${t.date}: ${t.error ?? ''}`)].join('\n'));
}
