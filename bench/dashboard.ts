/**
 * Three dashboard questions, each answered twice: ad hoc from the source
 * views (the rules of TABLES.md, written for the question) and from the
 * materialized tables. The answers must be equal; both sides are timed warm.
 */
import { addDays, type IsoDate } from '../src/dates.js';
import type { TaskContext } from '../src/tasks/context.js';
import { duckdbDialect } from '../src/warehouse/dialect.js';
import type { Params, Row } from '../src/warehouse/types.js';
import { sqlDate } from '../src/warehouse/types.js';
import { medianCost, type Cost } from './support.js';
import { METRIC_COUNTS } from '../src/api/shape.js';

export interface Question {
  readonly name: string;
  readonly views: string;
  readonly tables: string;
}

const ORDEM = `CASE prioridade WHEN 'Vencidas' THEN 0 WHEN 'S=0' THEN 1 WHEN 'S=1' THEN 2 WHEN 'S=2' THEN 3 WHEN 'S=3' THEN 4 WHEN 'S=4' THEN 5 WHEN 'Posterior a S=4' THEN 6 ELSE 7 END`;

/** Open actions as of :ref_date, with their category (ordem) and days overdue. */
function openActions(src: string, where: string): string {
  return `SELECT DISTINCT ACTION_ID, VERIFICATION_ID, RESPONSIBLE, ACTION_TYPE, STATUS, DUE_DATE, CREATED_AT,
    CASE WHEN DUE_DATE IS NULL THEN 7 WHEN DUE_DATE < :ref_date THEN 0
         ELSE 1 + least(date_diff('day', date_trunc('week', :ref_date), date_trunc('week', DUE_DATE)) // 7, 5) END AS ordem,
    CASE WHEN DUE_DATE < :ref_date THEN date_diff('day', DUE_DATE, :ref_date) WHEN DUE_DATE IS NOT NULL THEN 0 END AS dias_atraso
  FROM ${src}.vw_crm_action
  WHERE ${where} AND ACTION_ID IS NOT NULL AND CAST(CREATED_AT AS DATE) <= :ref_date
    AND ((CLOSED_AT IS NULL AND COALESCE(STATUS, '') NOT IN ('CONCLUIDA', 'CANCELADA')) OR CAST(CLOSED_AT AS DATE) > :ref_date)`;
}

const CATEGORY = `CASE ordem WHEN 0 THEN 'Vencidas' WHEN 1 THEN 'S=0' WHEN 2 THEN 'S=1' WHEN 3 THEN 'S=2' WHEN 4 THEN 'S=3' WHEN 5 THEN 'S=4' WHEN 6 THEN 'Posterior a S=4' ELSE 'Sem vencimento' END`;

export function questions(src: string, target: string): Question[] {
  const metrics = METRIC_COUNTS.join(', ');
  return [
    {
      name: 'q1_month_metrics',
      tables: `SELECT data_referencia, location_id, ${metrics}
FROM ${target}.crm_metrics_daily
WHERE organization_id = :org AND data_referencia BETWEEN :month_start AND :ref_date
ORDER BY data_referencia, location_id`,
      views: `WITH v AS (
  SELECT DISTINCT VERIFICATION_ID, LOCATION_ID, CAST(VERIFICATION_DATE AS DATE) AS dia
  FROM ${src}.vw_crm_verification
  WHERE ORGANIZATION_ID = :org AND VERIFICATION_ID IS NOT NULL AND VERIFICATION_DATE IS NOT NULL
    AND CAST(VERIFICATION_DATE AS DATE) BETWEEN :month_start AND :ref_date
),
q AS (
  SELECT VERIFICATION_ID, QUESTION_ID, bool_or(COALESCE(IS_CRITICAL_CONTROL, FALSE)) AS critica,
    COUNT(IS_NON_CONFORMING) > 0 AS respondida, bool_or(COALESCE(IS_NON_CONFORMING, FALSE)) AS nc
  FROM ${src}.vw_crm_verification_question
  WHERE VERIFICATION_ID IN (SELECT VERIFICATION_ID FROM v)
  GROUP BY VERIFICATION_ID, QUESTION_ID
),
pv AS (
  SELECT VERIFICATION_ID, COUNT(*) FILTER (WHERE respondida) AS perguntas, COUNT(*) FILTER (WHERE nc) AS perguntas_nc,
    COUNT(*) FILTER (WHERE critica AND respondida) AS criticas, COUNT(*) FILTER (WHERE critica AND nc) AS criticas_nc
  FROM q GROUP BY VERIFICATION_ID
),
linhas AS (
  SELECT v.dia AS data_referencia, v.LOCATION_ID AS location_id,
    COUNT(DISTINCT v.VERIFICATION_ID) AS total_verificacoes,
    COUNT(DISTINCT v.VERIFICATION_ID) FILTER (WHERE pv.perguntas_nc > 0) AS verificacoes_nao_conformes,
    COALESCE(SUM(pv.perguntas), 0) AS total_perguntas, COALESCE(SUM(pv.perguntas_nc), 0) AS perguntas_nao_conformes,
    COALESCE(SUM(pv.criticas), 0) AS total_controles_criticos, COALESCE(SUM(pv.criticas_nc), 0) AS controles_criticos_nao_conformes
  FROM v LEFT JOIN pv ON pv.VERIFICATION_ID = v.VERIFICATION_ID
  GROUP BY v.dia, v.LOCATION_ID
)
SELECT data_referencia, location_id, ${metrics}
FROM linhas
ORDER BY data_referencia, location_id`,
    },
    {
      name: 'q2_priorities',
      tables: `SELECT prioridade, ordem, SUM(total_acoes) AS total
FROM ${target}.crm_action_priorities_daily
WHERE data_referencia = :ref_date AND organization_id = :org
GROUP BY prioridade, ordem ORDER BY ordem`,
      views: `SELECT ${CATEGORY} AS prioridade, ordem, SUM(1) AS total
FROM (${openActions(src, 'ORGANIZATION_ID = :org')}) AS a
GROUP BY ordem ORDER BY ordem`,
    },
    {
      name: 'q3_open_actions_page',
      // MATERIALIZED: for ORDER BY .. LIMIT, DuckDB 1.5 otherwise fetches the page's
      // columns by row id in a second scan of the whole table (every snapshot day).
      tables: `WITH acoes AS MATERIALIZED (
  SELECT action_id, verification_id, responsavel, tipo, status, data_vencimento, prioridade, dias_atraso, criado_em
  FROM ${target}.crm_actions_open_snapshot
  WHERE data_snapshot = :ref_date AND location_id = :location
)
SELECT * FROM acoes
ORDER BY ${ORDEM}, dias_atraso DESC NULLS LAST, action_id
LIMIT 50`,
      views: `SELECT ACTION_ID AS action_id, VERIFICATION_ID AS verification_id, RESPONSIBLE AS responsavel, ACTION_TYPE AS tipo,
  STATUS AS status, DUE_DATE AS data_vencimento, ${CATEGORY} AS prioridade, dias_atraso, CREATED_AT AS criado_em
FROM (${openActions(src, 'LOCATION_ID = :location')}) AS a
ORDER BY ordem, dias_atraso DESC NULLS LAST, action_id
LIMIT 50`,
    },
  ];
}

export interface QuestionTiming {
  readonly name: string;
  readonly rows: number;
  /** Median per answer, seconds. */
  readonly views: Cost;
  readonly tables: Cost;
  /**
   * Reading the answer itself from a table that holds only it: what any table
   * side pays at least (the statement, and the answer's rows handed to the
   * caller), whatever the layout of the materialized tables.
   */
  readonly answerOnly: Cost;
}

/** The organization and location the dashboard looks at: the busiest ones, read from the tables. */
export async function pickSubjects(ctx: TaskContext, target: string, refDate: IsoDate): Promise<{ org: string; location: string }> {
  const [o] = await ctx.warehouse.query({
    sql: `SELECT organization_id FROM ${target}.crm_metrics_daily GROUP BY 1 ORDER BY SUM(total_verificacoes) DESC, 1 LIMIT 1`,
  });
  const [l] = await ctx.warehouse.query(
    duckdbDialect.bind(
      `SELECT location_id FROM ${target}.crm_actions_open_snapshot WHERE data_snapshot = :ref_date GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1`,
      {
        ref_date: sqlDate(refDate),
      },
    ),
  );
  return { org: String(o?.organization_id), location: String(l?.location_id) };
}

export interface Subjects {
  readonly refDate: IsoDate;
  readonly org: string;
  readonly location: string;
}

/** The bound values of the dashboard's questions. */
export function dashboardParams(p: Subjects): Params {
  return { ref_date: sqlDate(p.refDate), month_start: sqlDate(addDays(p.refDate, -29)), org: p.org, location: p.location };
}

export async function runDashboard(
  ctx: TaskContext,
  qs: readonly Question[],
  p: Subjects,
  reps: { views: number; tables: number },
  /** A scratch table (in the materialized tables' schema) that holds one answer at a time. */
  answerTable: string,
): Promise<QuestionTiming[]> {
  const params = dashboardParams(p);
  const out: QuestionTiming[] = [];
  for (const q of qs) {
    const views = duckdbDialect.bind(q.views, params);
    const tables = duckdbDialect.bind(q.tables, params);
    const fromViews = canonical(await ctx.warehouse.query(views));
    const fromTables = canonical(await ctx.warehouse.query(tables));
    if (fromViews !== fromTables || fromTables === '[]') {
      throw new Error(
        `${q.name}: the answer from the views differs from the tables' (or is empty)\nviews:  ${fromViews.slice(0, 2000)}\ntables: ${fromTables.slice(0, 2000)}`,
      );
    }
    const viewsCost = await medianCost(reps.views, () => ctx.warehouse.query(views));
    const tablesCost = await medianCost(reps.tables, () => ctx.warehouse.query(tables));
    await ctx.warehouse.execute({ sql: `CREATE OR REPLACE TABLE ${answerTable} AS\n${tables.sql}`, params: tables.params });
    const answerOnly = await medianCost(reps.tables, () => ctx.warehouse.query({ sql: `SELECT * FROM ${answerTable}` }));
    await ctx.warehouse.execute({ sql: `DROP TABLE ${answerTable}` });
    out.push({ name: q.name, rows: (JSON.parse(fromTables) as unknown[]).length, views: viewsCost, tables: tablesCost, answerOnly });
  }
  return out;
}

/** Rows as comparable text: dates as ISO strings, big integers as numbers. */
function canonical(rows: readonly Row[]): string {
  return JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
}
