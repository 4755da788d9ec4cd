/** Faults around the real engine, and a source that takes hours to read. */
import { WarehouseError } from '../../src/errors.js';
import type { ExecOptions, Warehouse } from '../../src/warehouse/types.js';

/** The engine, except that its first atomic replace fails with a transient error. */
export function failFirstReplace(w: Warehouse): Warehouse {
  let calls = 0;
  return {
    engine: w.engine,
    execute: (s, o) => w.execute(s, o),
    query: (s, o) => w.query(s, o),
    close: () => w.close(),
    executeAtomic: async (s, o) => {
      if (calls++ === 0) throw new WarehouseError('connection reset by the warehouse', { transient: true });
      return w.executeAtomic(s, o);
    },
  };
}

/**
 * The engine, counting every statement that reaches it, except the read API's
 * (its warm-up after a refresh runs on its own timer, whatever a scrape does).
 */
export function countStatements(counter: { n: number }) {
  const count = (o?: ExecOptions): void => {
    if (o?.tag?.task !== 'api') counter.n++;
  };
  return (w: Warehouse): Warehouse => ({
    engine: w.engine,
    execute: (s, o) => (count(o), w.execute(s, o)),
    query: (s, o) => (count(o), w.query(s, o)),
    executeAtomic: (s, o) => (count(o), w.executeAtomic(s, o)),
    close: () => w.close(),
  });
}

/** Replace the vw_crm_action table by a view of 10^10 rows: any refresh reading it runs for hours. */
export async function makeActionsSlow(warehouse: Warehouse, schema: string): Promise<void> {
  await warehouse.execute({ sql: `DROP TABLE ${schema}.vw_crm_action` });
  await warehouse.execute({
    sql: `CREATE VIEW ${schema}.vw_crm_action AS SELECT CAST(a.range AS VARCHAR) AS ACTION_ID, 'O' AS ORGANIZATION_ID, 'L' AS LOCATION_ID, NULL AS VERIFICATION_ID,
          NULL AS RESPONSIBLE, NULL AS ACTION_TYPE, 'ABERTA' AS STATUS, CAST(NULL AS DATE) AS DUE_DATE, TIMESTAMP '2026-01-01' AS CREATED_AT, CAST(NULL AS TIMESTAMP) AS CLOSED_AT
          FROM range(100000) a, range(100000) b`,
  });
}
