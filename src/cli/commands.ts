/** The table commands: init, run --inline, validate, sql render. */
import type { Command } from 'commander';
import { dialectFor } from '../warehouse/dialect.js';
import { loadConfig, type Config } from '../config/index.js';
import { CHECKS } from '../tables/checks.js';
import { TABLE_NAMES } from '../tables/registry.js';
import type { Statement } from '../warehouse/types.js';
import { SqlBuilder } from '../tables/statements.js';
import { refreshRange } from '../tasks/refresh.js';
import { addDays } from '../dates.js';
import { runInline } from '../tasks/run-inline.js';
import { validate } from '../tasks/validation.js';
import { parseChoice, parseDateFlag, parseTablesFlag, parseTasksFlag } from './options.js';
import { formatRunSummary, formatValidation } from './report.js';
import { withServices } from './services.js';

type Out = (text: string) => void;

export function registerTableCommands(program: Command, out: Out, setExit: (code: number) => void): void {
  program
    .command('init')
    .description('create the schema and the three tables if missing (idempotent)')
    .action(() =>
      withServices(async ({ sql, warehouse }) => {
        for (const s of sql.init()) await warehouse.execute(s);
        out(`tables ready in ${sql.table('crm_metrics_daily').split('.').slice(0, 2).join('.')}`);
      }),
    );

  program
    .command('run')
    .description('run the tasks for a reference date: refresh -> retention -> validation')
    .option('--date <YYYY-MM-DD>', 'reference date D (default: today in SCHEDULE_TZ)')
    .option('--tables <list>', 'comma-separated tables (default: all)')
    .option('--tasks <list>', 'comma-separated tasks: refresh,retention,validation (default: all)')
    .option('--inline', 'run the tasks in this process')
    .action((opts: { date?: string; tables?: string; tasks?: string; inline?: boolean }) =>
      withServices(async ({ config, ctx }) => {
        const req = { date: parseDateFlag(opts.date, config.scheduleTz), tables: parseTablesFlag(opts.tables), tasks: parseTasksFlag(opts.tasks) };
        const summary = await runInline(ctx, config, req);
        out(formatRunSummary(summary));
        if (summary.validation) out(`\n${formatValidation(summary.validation)}`);
        setExit(summary.ok ? 0 : 1);
      }),
    );

  program
    .command('validate')
    .description('validate the tables for a reference date (no data changed)')
    .option('--date <YYYY-MM-DD>', 'reference date D (default: today in SCHEDULE_TZ)')
    .option('--tables <list>', 'comma-separated tables (default: all)')
    .option('--json', 'print the report as JSON')
    .action((opts: { date?: string; tables?: string; json?: boolean }) =>
      withServices(async ({ config, ctx }) => {
        const report = await validate(ctx, parseDateFlag(opts.date, config.scheduleTz), parseTablesFlag(opts.tables), config.refreshWindowDays);
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
      const sql = new SqlBuilder(config, dialectFor(engine));
      for (const block of renderAll(sql, config, date)) out(block);
    });
}

/** Every statement of a run for `date`, as commented text blocks ending in ';'. */
export function renderAll(sql: SqlBuilder, config: Config, date: string): string[] {
  const show = (title: string, statements: readonly Statement[], atomic = false): string => {
    const params = Object.assign({}, ...statements.map((s) => s.params ?? {})) as Record<string, unknown>;
    const bound = Object.entries(params).map(([k, v]) => `${k}=${describe(v)}`).join(', ');
    const body = statements.map((s) => `${s.sql};`);
    const wrapped = atomic && sql.dialect.engine === 'duckdb' ? ['BEGIN TRANSACTION;', ...body, 'COMMIT;'] : body;
    return [`-- ${title}${bound ? `  [${bound}]` : ''}`, ...wrapped, ''].join('\n');
  };
  return [
    show('init', sql.init()),
    ...TABLE_NAMES.map((t) => show(`refresh ${t}`, sql.refresh(t, refreshRange(t, date, config.refreshWindowDays), new Date()), true)),
    ...TABLE_NAMES.flatMap((t) => sql.afterRefresh(t).map((s) => show(`after refresh ${t}`, [s]))),
    ...TABLE_NAMES.map((t) => show(`retention ${t}`, sql.retention(t, addDays(date, -config.retentionDays[t])))),
    ...CHECKS.map((c) => show(`validation check ${c.name}`, [sql.check(c, date, config.refreshWindowDays)])),
    ...TABLE_NAMES.map((t) => show(`validation summary ${t}`, [sql.validationSummary(t)])),
    show('validation source anomalies', [sql.anomalies()]),
  ];
}

function describe(v: unknown): string {
  if (v !== null && typeof v === 'object' && 'kind' in v && 'value' in v) {
    const { kind, value } = v as { kind: string; value: unknown };
    return `${kind.toUpperCase()} ${value instanceof Date ? value.toISOString() : String(value)}`;
  }
  return JSON.stringify(v);
}
