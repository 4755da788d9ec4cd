/** `run` (queued, the default): plan the run for D; --wait follows it; --json prints one object. */
import type { Config } from '../config/index.js';
import { enqueueRun, runIdFor } from '../producer/planner.js';
import { parseRunDateFlag, parseTablesFlag } from './options.js';
import { withQueues } from './queue-client.js';
import { watchRun } from './watch.js';

type Out = (text: string) => void;

/** Queue a run (the default mode of `run`); --wait follows it and exits with its outcome; --json prints one JSON object. */
export async function runQueued(
  config: Config,
  opts: {
    date?: string;
    tables?: string;
    wait?: boolean;
    force?: boolean;
    json?: boolean;
    allowFuture?: boolean;
    acceptAnomaly?: boolean;
    operator?: string;
  },
  out: Out,
): Promise<number> {
  const allowFuture = opts.allowFuture ?? false;
  const date = parseRunDateFlag(opts.date, config.scheduleTz, { allowFuture });
  const tables = parseTablesFlag(opts.tables);
  const acceptAnomaly = opts.acceptAnomaly ?? false;
  // Accepting a held day runs its date again: the held run was planned before.
  const force = (opts.force ?? false) || acceptAnomaly;
  const text = opts.json ? () => undefined : out;
  return withQueues(async (c) => {
    const runId = await runIdFor(c.state, config, date, tables, force);
    const origin = { trigger: force ? ('forced' as const) : ('manual' as const), ...(opts.operator ? { operator: opts.operator } : {}) };
    const planned = await enqueueRun(c.flows, c.state, config, {
      runId,
      date,
      tables,
      retention: true,
      allowFuture,
      origin,
      ...(acceptAnomaly ? { acceptAnomaly } : {}),
    });
    text(
      planned.repaired
        ? `run ${runId} had been claimed but its jobs were never added (an interrupted planning): queued now (${tables.join(', ')})`
        : planned.added
          ? `run ${runId} queued (${tables.join(', ')})`
          : `run ${runId} was queued before: nothing added (use --force to run it again)`,
    );
    const result = opts.wait ? await watchRun(c, runId, text) : undefined;
    if (result) text(result.detail);
    if (opts.json) {
      const outcome = result ? { outcome: result.ok ? 'success' : 'failure', detail: result.detail, tasks: result.tasks ?? [] } : {};
      out(JSON.stringify({ runId, date, tables, added: planned.added, ...outcome }, null, 2));
    }
    return result && !result.ok ? 1 : 0;
  }, config);
}
