/** One example or more per command, shown after its help (`crm-materializer <command> --help`). */
import type { Command } from 'commander';

const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  '': ['start --demo', 'status', 'run --date 2026-11-29 --wait'],
  init: ['init'],
  run: [
    'run --date 2026-11-29 --wait',
    'run --date 2026-11-29 --force --wait --json',
    'run --inline --date 2026-11-29 --tables crm_metrics_daily',
    'run --date 2026-11-29 --accept-anomaly --wait',
    'run --date 2026-11-29 --force --operator jane.doe',
  ],
  validate: ['validate --date 2026-11-29 --json'],
  audit: ['audit', 'audit --inline --json'],
  sql: ['sql render --engine databricks --date 2026-11-29'],
  'sql render': ['sql render --engine duckdb --date 2026-11-29'],
  start: ['start --demo', 'start --roles worker'],
  backfill: [
    'backfill --from 2026-09-01 --to 2026-10-30 --dry-run',
    'backfill --from 2026-09-01 --to 2026-10-30 --wait --operator jane.doe',
  ],
  status: ['status', 'status --json'],
  schedule: ['schedule pause --reason "source migration until Monday"', 'schedule resume'],
  'schedule pause': ['schedule pause --reason "source migration until Monday" --operator jane.doe'],
  'schedule resume': ['schedule resume', 'schedule resume --no-catch-up'],
  runs: ['runs --limit 10', 'runs --date 2026-11-29 --json'],
  'runs show': ['runs show 2026-11-29', "runs show '2026-11-29#2' --json"],
  demo: ['demo seed --scale medium'],
  'demo seed': ['demo seed --scale medium --days 90 --seed 7'],
};

/** Attach the examples to `command` and every command under it; a command without one is a wiring gap (throws). */
export function addExamples(command: Command, path = ''): void {
  const examples = EXAMPLES[path];
  if (!examples) throw new Error(`no help example for '${path}': add one in src/cli/examples.ts`);
  command.addHelpText(
    'after',
    `\nExample${examples.length > 1 ? 's' : ''}:\n${examples.map((e) => `  $ crm-materializer ${e}`).join('\n')}`,
  );
  for (const sub of command.commands) addExamples(sub, path === '' ? sub.name() : `${path} ${sub.name()}`);
}
