/** Fail fast, naming the view and where it was looked for, before any table changes. */
import { SourceMissingError, WarehouseError } from '../errors.js';
import { SqlBuilder } from '../tables/statements.js';
import type { TableName } from '../tables/registry.js';
import type { TaskContext } from './context.js';

export async function checkSources(ctx: TaskContext, tables: readonly TableName[]): Promise<void> {
  for (const view of SqlBuilder.sourcesOf(tables)) {
    try {
      await ctx.warehouse.query(ctx.sql.sourceProbe(view), { signal: ctx.signal, tag: ctx.tag });
    } catch (e) {
      // Only a statement error means "not there"; a locked file, a cancel or bad config is itself.
      if (!(e instanceof WarehouseError) || e.transient || e.constructor !== WarehouseError) throw e;
      throw new SourceMissingError(
        `source view ${view} not found in ${ctx.sql.sourceLocation}: create it there (or run ` +
          `'crm-materializer demo seed'), or point CRM_SOURCE_CATALOG/CRM_SOURCE_SCHEMA at where it is`,
        { cause: e },
      );
    }
  }
}
