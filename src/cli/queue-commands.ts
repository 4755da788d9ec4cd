/** The service commands: start, backfill, status. Their implementations (queues, drivers) load only when one runs. */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { ROLES, type Role } from '../service-roles.js';
import { registerBackfillCommand } from './backfill.js';

type Out = (text: string) => void;

export function parseRoles(raw: string | undefined): Role[] {
  if (raw === undefined) return [...ROLES];
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.find((r) => !(ROLES as readonly string[]).includes(r));
  if (bad !== undefined || items.length === 0)
    throw new UsageError(`unknown role '${bad ?? ''}' in --roles: use one or more of ${ROLES.join(', ')}`);
  return ROLES.filter((r) => items.includes(r));
}

export function registerQueueCommands(program: Command, out: Out, setExit: (code: number) => void): void {
  program
    .command('start')
    .description('run the service: scheduler, workers and web (Bull Board, /metrics, /healthz, /readyz)')
    .option('--roles <list>', `comma-separated roles: ${ROLES.join(',')} (default: all)`)
    .option('--demo', "embedded demo: seed demo data if the DuckDB file has none, then plan today's run")
    .action(async (opts: { roles?: string; demo?: boolean }) => {
      const roles = parseRoles(opts.roles);
      const { startCommand } = await import('./start.js');
      setExit(await startCommand(roles, opts, out));
    });

  registerBackfillCommand(program, out, setExit);

  program
    .command('status')
    .description(
      'schedule (paused or not), latest run, last refresh per table, queue counts and failed jobs; exit ' +
        '1 when the latest run failed or a table is critical',
    )
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const [{ withQueues }, { printStatus }] = await Promise.all([import('./queue-client.js'), import('./status.js')]);
      setExit(await withQueues((c) => printStatus(c, out, opts.json ?? false)));
    });
}
