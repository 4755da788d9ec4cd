/**
 * Rows read, from DuckDB's profiler (rows each table scan read, summed per
 * table): exact counts that do not depend on what else runs on the machine.
 */
import { addDays, type IsoDate } from '../src/dates.js';
import { SOURCE_VIEWS } from '../src/tables/registry.js';
import type { TaskContext } from '../src/tasks/context.js';
import { duckdbDialect } from '../src/warehouse/dialect.js';
import type { StatementProfile } from '../src/warehouse/duckdb-profile.js';
import { sqlDate } from '../src/warehouse/types.js';

/** Collects the profiles of the statements run while `measure` is active. */
export class RowCounter {
  private active: StatementProfile[] | undefined;

  readonly listener = (p: StatementProfile): void => {
    this.active?.push(p);
  };

  async measure(fn: () => Promise<unknown>): Promise<StatementProfile[]> {
    const seen: StatementProfile[] = [];
    this.active = seen;
    try {
      await fn();
    } finally {
      this.active = undefined;
    }
    return seen;
  }
}

/** Rows read from the tables of `schema` (e.g. the source views' schema), over the profiles. */
export function rowsIn(profiles: readonly StatementProfile[], schema: string, only?: readonly string[]): number {
  let n = 0;
  for (const p of profiles) {
    for (const [table, rows] of Object.entries(p.rowsScanned)) {
      const [catalog, s, name] = table.split('.');
      if (`${catalog}.${s}` === schema && (only === undefined || only.includes(name ?? ''))) n += rows;
    }
  }
  return n;
}

export function sourceRows(profiles: readonly StatementProfile[], src: string): number {
  return rowsIn(profiles, src, SOURCE_VIEWS);
}

/**
 * The rows the daily refresh must read (exact counts): the window's
 * verification rows, the question rows of those verifications, and every
 * action row (any of them can be open on D).
 */
export async function floorRows(ctx: TaskContext, src: string, refDate: IsoDate, windowDays: number): Promise<number> {
  const stmt = duckdbDialect.bind(
    `WITH v AS (
       SELECT VERIFICATION_ID FROM ${src}.vw_crm_verification
       WHERE VERIFICATION_DATE >= CAST(:d_from AS TIMESTAMP) AND VERIFICATION_DATE < CAST(:d_next AS TIMESTAMP)
     )
     SELECT (SELECT COUNT(*) FROM v)
          + (SELECT COUNT(*) FROM ${src}.vw_crm_verification_question WHERE VERIFICATION_ID IN (SELECT VERIFICATION_ID FROM v))
          + (SELECT COUNT(*) FROM ${src}.vw_crm_action) AS n`,
    { d_from: sqlDate(addDays(refDate, -(windowDays - 1))), d_next: sqlDate(addDays(refDate, 1)) },
  );
  return Number((await ctx.warehouse.query(stmt))[0]?.n);
}
