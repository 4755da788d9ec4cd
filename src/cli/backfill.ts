/** `backfill`: rebuild a date range through the queue in chunks; --wait follows the chunks and exits with their outcome. */
import type { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { parseOperatorFlag } from './operator.js';
import { parseRunDateFlag, parseTablesFlag } from './options.js';

type Out = (text: string) => void;

interface BackfillOpts {
  from: string;
  to: string;
  tables?: string;
  allowFuture?: boolean;
  dryRun?: boolean;
  force?: boolean;
  wait?: boolean;
  operator?: string;
  json?: boolean;
}

export function registerBackfillCommand(program: Command, out: Out, setExit: (code: number) => void): void {
  program
    .command('backfill')
    .description('rebuild a date range through the queue, in chunks (one run per chunk, each with its validation)')
    .requiredOption('--from <YYYY-MM-DD>', 'first reference date')
    .requiredOption('--to <YYYY-MM-DD>', 'last reference date')
    .option('--tables <list>', 'comma-separated tables (default: all)')
    .option('--dry-run', 'print the plan, enqueue nothing')
    .option('--force', `allow more than 730 days`)
    .option('--allow-future', 'accept dates after today (retention is not part of a backfill)')
    .option('--wait', 'follow the chunks live and exit with their outcome (0 all succeeded, 1 any failed)')
    .option('--operator <name>', "who runs it, kept in each chunk's run record (default: the OS user)")
    .option('--json', "print the plan (and with --wait each chunk's outcome) as JSON")
    .action(async (opts: BackfillOpts) => setExit(await backfill(opts, out)));
}

async function backfill(opts: BackfillOpts, out: Out): Promise<number> {
  const [{ enqueueBackfill, planBackfill }, { buildFlow, countJobs }, { withQueues }, { watchRuns }] = await Promise.all([
    import('../producer/backfill.js'),
    import('../producer/planner.js'),
    import('./queue-client.js'),
    import('./watch.js'),
  ]);
  const config = loadConfig();
  const allowFuture = opts.allowFuture ?? false;
  const from = parseRunDateFlag(opts.from, config.scheduleTz, { flag: '--from', allowFuture });
  const to = parseRunDateFlag(opts.to, config.scheduleTz, { flag: '--to', allowFuture });
  const operator = parseOperatorFlag(opts.operator);
  const plans = planBackfill(config, { from, to, tables: parseTablesFlag(opts.tables), force: opts.force ?? false, allowFuture, operator });
  const jobs = plans.reduce((n, p) => n + countJobs(buildFlow(p, config)), 0);
  const chunks = plans.map((p) => ({ runId: p.runId, from: p.from ?? p.date, to: p.date, tables: p.tables }));
  const text = opts.json ? () => undefined : out;
  text(`backfill ${from}..${to}: ${plans.length} chunk(s) of up to ${config.jobs.backfillChunkDays} days, ${jobs} jobs`);
  for (const ch of chunks) text(`  ${ch.runId}  ${ch.from}..${ch.to}  ${ch.tables.join(',')}`);
  if (opts.dryRun) {
    if (opts.json) out(JSON.stringify({ from, to, jobs, dryRun: true, chunks }, null, 2));
    return 0;
  }
  return withQueues(async (c) => {
    const tty = process.stderr.isTTY && !opts.json;
    const planned = await enqueueBackfill(c.flows, c.state, config, plans, (done, total) => {
      if (opts.json) return;
      const bar = `[${'#'.repeat(Math.round((20 * done) / total)).padEnd(20)}] ${done}/${total} chunks queued`;
      process.stderr.write(tty ? `\r${bar}` : `${bar}\n`);
    });
    if (tty) process.stderr.write('\n');
    const skipped = planned.filter((p) => !p.added).length;
    text(
      `queued ${planned.length - skipped} chunk(s)${skipped ? `, ${skipped} planned before (unchanged)` : ''}` +
        (opts.wait ? '' : "; watch them on the board or with 'crm-materializer status'"),
    );
    const added = new Map(planned.map((p) => [p.runId, p.added]));
    if (!opts.wait) {
      if (opts.json)
        out(JSON.stringify({ from, to, jobs, chunks: chunks.map((ch) => ({ ...ch, added: added.get(ch.runId) ?? false })) }, null, 2));
      return 0;
    }
    const results = await watchRuns(
      c,
      plans.map((p) => p.runId),
      text,
    );
    const failed = chunks.filter((ch) => !results.get(ch.runId)?.ok);
    const ok = failed.length === 0;
    if (opts.json) {
      const outcome = (id: string) => ({ outcome: results.get(id)?.ok ? 'success' : 'failure', detail: results.get(id)?.detail ?? '' });
      out(
        JSON.stringify(
          {
            from,
            to,
            jobs,
            outcome: ok ? 'success' : 'failure',
            chunks: chunks.map((ch) => ({ ...ch, added: added.get(ch.runId) ?? false, ...outcome(ch.runId) })),
          },
          null,
          2,
        ),
      );
    } else {
      out(
        ok
          ? `backfill ${from}..${to} succeeded: ${chunks.length} chunk(s)`
          : `backfill ${from}..${to} failed: ${failed.length} of ${chunks.length} chunk(s) ` +
              `(${failed.map((f) => f.runId).join(', ')}); retry the failed jobs on the board, or run the ` +
              `backfill again with the same dates after the fix`,
      );
    }
    return ok ? 0 : 1;
  }, config);
}
