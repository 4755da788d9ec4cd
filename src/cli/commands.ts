/** The table commands: init, run (queued or --inline), validate, sql render. The queue client loads only for a queued run. */
import type { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { FUTURE_TOLERANCE_DAYS } from '../dates.js';
import { UsageError } from '../errors.js';
import { systemClock } from '../clock.js';
import { TABLE_NAMES } from '../tables/registry.js';
import { runInline } from '../tasks/run-inline.js';
import { parseOperatorFlag } from './operator.js';
import { validate } from '../tasks/validation.js';
import { parseChoice, parseDateFlag, parseRunDateFlag, parseTablesFlag, parseTasksFlag } from './options.js';
import { formatRunSummary, formatValidation } from '../tasks/report.js';
import { withServices } from './services.js';
import { renderSteps } from './sql-render.js';

type Out = (text: string) => void;

export function registerTableCommands(program: Command, out: Out, setExit: (code: number) => void): void {
  program
    .command('init')
    .description(
      'create the schema and the three tables if missing (idempotent); says which existed and their ' +
        'layout, and prints the migration of an old layout (never runs it)',
    )
    .action(() =>
      withServices(
        async ({ sql, warehouse, ctx }) => {
          const { inspectLayouts, formatLayouts } = await import('../tasks/layout.js');
          // Read before creating: which tables were there, and how their rows are laid out.
          const layouts = await inspectLayouts(ctx, TABLE_NAMES);
          for (const s of sql.init()) await warehouse.execute(s);
          out(formatLayouts(layouts));
          out(`tables ready in ${sql.table('crm_metrics_daily').split('.').slice(0, 2).join('.')}`);
        },
        { create: true },
      ),
    );

  program
    .command('run')
    .description('run a reference date: refresh -> retention -> validation, queued (default) or --inline')
    .option('--date <YYYY-MM-DD>', 'reference date D (default: today in SCHEDULE_TZ)')
    .option('--tables <list>', 'comma-separated tables (default: all)')
    .option('--tasks <list>', 'with --inline: comma-separated tasks refresh,retention,validation (default: all)')
    .option('--wait', 'follow the queued run and exit with its outcome (0 ok, 1 failed)')
    .option('--force', 'queue the run again even if this date was run before')
    .option('--inline', 'run the tasks in this process instead of the queue')
    .option('--allow-future', `accept a --date more than ${FUTURE_TOLERANCE_DAYS} day after today (retention still deletes nothing for it)`)
    .option(
      '--accept-anomaly',
      'publish refreshed days the publish guard held (PUBLISH_MIN_RATIO); queued, it runs the date again as --force does',
    )
    .option('--operator <name>', "who runs it, kept in the run's record (default: the OS user)")
    .option('--json', 'print one JSON object: the queued run (with --wait its outcome and tasks), or the inline summary and validation')
    .action(
      async (opts: {
        date?: string;
        tables?: string;
        tasks?: string;
        inline?: boolean;
        wait?: boolean;
        force?: boolean;
        allowFuture?: boolean;
        acceptAnomaly?: boolean;
        operator?: string;
        json?: boolean;
      }) => {
        const operator = parseOperatorFlag(opts.operator);
        if (!opts.inline) {
          if (opts.tasks !== undefined)
            throw new UsageError('--tasks works with --inline: a queued run always runs refresh, retention and validation');
        } else if (opts.wait || opts.force) {
          throw new UsageError(
            `${opts.wait ? '--wait' : '--force'} works with a queued run: drop --inline (an inline run always runs now, to its end)`,
          );
        }
        if (!opts.inline) {
          const { runQueued } = await import('./run-queued.js');
          setExit(await runQueued(loadConfig(), { ...opts, operator }, out));
          return;
        }
        // Every flag is checked before the engine is opened: a refused date changes nothing.
        const config = loadConfig();
        const date = parseRunDateFlag(opts.date, config.scheduleTz, { allowFuture: opts.allowFuture });
        const req = {
          date,
          tables: parseTablesFlag(opts.tables),
          tasks: parseTasksFlag(opts.tasks),
          acceptAnomaly: opts.acceptAnomaly ?? false,
        };
        const { withRecorder } = await import('./recorder.js');
        await withServices(async ({ ctx }) => {
          // With --json, stdout is the JSON object only: a note about Redis goes to stderr.
          const note = opts.json ? (t: string) => process.stderr.write(`${t}\n`) : out;
          const summary = await withRecorder(config, note, (recorder) => runInline(ctx, config, req, { recorder }), operator);
          if (opts.json) out(JSON.stringify(summary, null, 2));
          else {
            out(formatRunSummary(summary));
            if (summary.validation) out(`\n${formatValidation(summary.validation)}`);
          }
          setExit(summary.ok ? 0 : 1);
        });
      },
    );

  program
    .command('validate')
    .description('validate the tables for a reference date (no data changed)')
    .option('--date <YYYY-MM-DD>', 'reference date D (default: today in SCHEDULE_TZ)')
    .option('--tables <list>', 'comma-separated tables (default: all)')
    .option('--json', 'print the report as JSON')
    .action((opts: { date?: string; tables?: string; json?: boolean }) =>
      withServices(async ({ config, ctx }) => {
        const report = await validate(
          ctx,
          parseDateFlag(opts.date, config.scheduleTz),
          parseTablesFlag(opts.tables),
          config.refreshWindowDays,
        );
        out(opts.json ? JSON.stringify(report, null, 2) : formatValidation(report));
        setExit(report.checksPassed && report.worstStatus !== 'critical' ? 0 : 1);
      }),
    );

  program
    .command('sql')
    .description('SQL tools')
    .command('render')
    .description('print every statement each task would run, for review or a dry run (connects to nothing)')
    .requiredOption('--engine <engine>', 'databricks or duckdb')
    .option('--date <YYYY-MM-DD>', 'reference date D (default: today in SCHEDULE_TZ)')
    .action((opts: { engine: string; date?: string }) => {
      const config = loadConfig();
      const engine = parseChoice(opts.engine, ['databricks', 'duckdb'] as const, '--engine');
      const date = parseDateFlag(opts.date, config.scheduleTz);
      for (const { text } of renderSteps(config, engine, date, systemClock.now())) out(text);
    });
}
