/** A Warehouse that times every statement into crm_warehouse_statement_duration_seconds. */
import type { Histogram } from 'prom-client';
import { StatementCancelledError } from '../errors.js';
import type { ExecOptions, Warehouse } from '../warehouse/types.js';

export function instrumentWarehouse(inner: Warehouse, histogram: Histogram<'engine' | 'task' | 'outcome'>): Warehouse {
  const timed = async <T>(options: ExecOptions | undefined, fn: () => Promise<T>): Promise<T> => {
    const end = histogram.startTimer({ engine: inner.engine, task: options?.tag?.task ?? 'other' });
    try {
      const result = await fn();
      end({ outcome: 'success' });
      return result;
    } catch (e) {
      end({ outcome: e instanceof StatementCancelledError ? 'cancelled' : 'failure' });
      throw e;
    }
  };
  return {
    engine: inner.engine,
    execute: (s, o) => timed(o, () => inner.execute(s, o)),
    query: (s, o) => timed(o, () => inner.query(s, o)),
    executeAtomic: (s, o) => timed(o, () => inner.executeAtomic(s, o)),
    close: () => inner.close(),
  };
}
