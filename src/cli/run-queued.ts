/** `run` (queued, the default): plan the run for D; --wait follows it; --json prints one object. */
import type { Config } from '../config/index.js';
import { enqueueRun, runIdFor } from '../producer/planner.js';
import { parseDateFlag, parseTablesFlag } from './options.js';
import { withQueues } from './queue-client.js';
import { watchRun } from './watch.js';

type Out = (text: string) => void;

/** Queue a run (the default mode of `run`); --wait follows it and exits with its outcome; --json prints one JSON object. */
export async function runQueued(config: Config, opts: { date?: string; tables?: string; wait?: boolean; force?: boolean; json?: boolean }, out: Out): Promise<number> {
  const date = parseDateFlag(opts.date, config.scheduleTz);
  const tables = parseTablesFlag(opts.tables);
  const force = opts.force ?? false;
  const text = opts.json ? () => undefined : out;
  return withQueues(async (c) => {
    const runId = await runIdFor(c.state, config, date, tables, force);
    const planned = await enqueueRun(c.flows, c.state, config, { runId, date, tables, retention: true });
    text(planned.added ? `run ${runId} queued (${tables.join(', ')})` : `run ${runId} was queued before: nothing added (use --force to run it again)`);
    const result = opts.wait ? await watchRun(c, runId, text) : undefined;
    if (result) text(result.detail);
    if (opts.json) {
      const outcome = result ? { outcome: result.ok ? 'success' : 'failure', detail: result.detail, tasks: result.tasks ?? [] } : {};
      out(JSON.stringify({ runId, date, tables, added: planned.added, ...outcome }, null, 2));
    }
    return result && !result.ok ? 1 : 0;
  }, config);
}
