/**
 * The command line: crm-materializer <command>. Exit codes: 0 ok, 1 a task
 * failed or a table is critical, 2 bad usage or configuration (nothing done).
 */
import { Command, CommanderError } from 'commander';
import { packageVersion } from './version.js';
import { ConfigError, SourceMissingError, UsageError, toError } from './errors.js';
import { registerAuditCommand } from './cli/audit.js';
import { registerTableCommands } from './cli/commands.js';
import { registerDemoCommands } from './cli/demo.js';
import { addExamples } from './cli/examples.js';
import { registerQueueCommands } from './cli/queue-commands.js';
import { registerScheduleCommands } from './cli/schedule.js';
import { registerRunsCommands } from './cli/runs.js';

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const stdio: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('crm-materializer')
    .version(packageVersion(), '-V, --version', 'print the version')
    .description("Keeps the CRM dashboard's materialized tables fresh (embedded DuckDB by default, or Databricks SQL).")
    .exitOverride()
    // A command's options after its subcommand belong to the subcommand (`runs show <id> --json`).
    .enablePositionalOptions()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  registerTableCommands(program, io.out, setExit);
  registerQueueCommands(program, io.out, setExit);
  registerAuditCommand(program, io.out);
  registerScheduleCommands(program, io.out);
  registerRunsCommands(program, io.out);
  registerDemoCommands(program, io.out);
  addExamples(program);
  return program;
}

export async function main(argv: readonly string[], io: CliIo = stdio): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (e) {
    return reportError(e, io);
  }
}

function reportError(e: unknown, io: CliIo): number {
  if (e instanceof CommanderError) {
    // Commander printed its own message (or the help) already.
    return e.exitCode === 0 ? 0 : 2;
  }
  if (e instanceof ConfigError) {
    io.err(`error: configuration: ${e.message}`);
    return 2;
  }
  if (e instanceof UsageError) {
    io.err(`error: ${e.message}`);
    return 2;
  }
  if (e instanceof SourceMissingError) {
    io.err(`error: ${e.message}`);
    return 1;
  }
  io.err(`error: ${toError(e).message}`);
  return 1;
}
