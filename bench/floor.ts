/**
 * The scan floor: the least reading the daily run cannot avoid. The
 * verifications of the window, their question rows and every action row,
 * read the cheapest way the storage allows (a timestamp range and an id
 * range, both prunable by zone maps), each column the refresh filters or
 * aggregates on touched by a trivial aggregate.
 */
import { addDays, type IsoDate } from '../src/dates.js';
import type { TaskContext } from '../src/tasks/context.js';
import { duckdbDialect } from '../src/warehouse/dialect.js';
import { sqlDate } from '../src/warehouse/types.js';

export interface FloorCounts {
  readonly verifications: number;
  readonly questions: number;
  readonly actions: number;
}

export async function scanFloor(ctx: TaskContext, src: string, refDate: IsoDate, windowDays: number): Promise<FloorCounts> {
  const q = async (sql: string, params: Record<string, string | IsoDate>): Promise<Record<string, unknown>> => {
    const bound = duckdbDialect.bind(
      sql,
      Object.fromEntries(Object.entries(params).map(([k, v]) => [k, k.startsWith('d_') ? sqlDate(v as IsoDate) : v])),
    );
    return (await ctx.warehouse.query(bound))[0] ?? {};
  };
  const v = await q(
    `SELECT COUNT(*) AS n, MIN(VERIFICATION_ID) AS lo, MAX(VERIFICATION_ID) AS hi, MAX(ORGANIZATION_ID) AS org, MAX(LOCATION_ID) AS loc
     FROM ${src}.vw_crm_verification
     WHERE VERIFICATION_DATE >= CAST(:d_from AS TIMESTAMP) AND VERIFICATION_DATE < CAST(:d_next AS TIMESTAMP)`,
    { d_from: addDays(refDate, -(windowDays - 1)), d_next: addDays(refDate, 1) },
  );
  const questions = await q(
    `SELECT COUNT(*) AS n, MAX(QUESTION_ID) AS q, COUNT(IS_NON_CONFORMING) AS answered, COUNT(*) FILTER (WHERE IS_CRITICAL_CONTROL) AS critical
     FROM ${src}.vw_crm_verification_question
     WHERE VERIFICATION_ID BETWEEN :lo AND :hi`,
    { lo: String(v.lo), hi: String(v.hi) },
  );
  const actions = await q(
    `SELECT COUNT(*) AS n, COUNT(DUE_DATE) AS due, MAX(CREATED_AT) AS created, MAX(CLOSED_AT) AS closed,
       COUNT(*) FILTER (WHERE STATUS IN ('CONCLUIDA', 'CANCELADA')) AS closed_status
     FROM ${src}.vw_crm_action`,
    {},
  );
  return { verifications: Number(v.n), questions: Number(questions.n), actions: Number(actions.n) };
}
