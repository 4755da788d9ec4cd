/** The engine, except that one table's refresh fails at its replace (unretried) while `broken.on` holds. */
import { WarehouseError } from '../../src/errors.js';
import type { ExecOptions, Warehouse } from '../../src/warehouse/types.js';

export const INJECTED_ERROR = 'injected fault: the warehouse refused this refresh';

export function failRefreshOf(table: string, broken: { on: boolean }) {
  const check = (o?: ExecOptions): void => {
    if (broken.on && o?.tag?.task === 'refresh' && o.tag.table === table)
      throw new WarehouseError(`${INJECTED_ERROR} of ${table}`, { transient: false });
  };
  return (w: Warehouse): Warehouse => ({
    engine: w.engine,
    execute: (s, o) => w.execute(s, o),
    query: (s, o) => w.query(s, o),
    executeAtomic: async (s, o) => (check(o), w.executeAtomic(s, o)),
    close: () => w.close(),
  });
}
