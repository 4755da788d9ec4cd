/**
 * What `init` found before creating the missing tables: for each existing
 * table, its layout, and the documented statements that would move an old
 * one to the new layout. Reads only: nothing is rewritten.
 */
import { WarehouseError } from '../errors.js';
import { layoutMigration, layoutProbe, layoutVerdict } from '../tables/layout.js';
import type { TableName } from '../tables/registry.js';
import type { TaskContext } from './context.js';

export type TableLayout =
  | { readonly table: TableName; readonly exists: false }
  | {
      readonly table: TableName;
      readonly exists: true;
      readonly clustered: boolean;
      readonly found: string;
      readonly migration: readonly string[];
    };

export async function inspectLayouts(ctx: TaskContext, tables: readonly TableName[]): Promise<TableLayout[]> {
  const out: TableLayout[] = [];
  for (const table of tables) {
    const qualifiedName = ctx.sql.table(table);
    let rows;
    try {
      rows = await ctx.warehouse.query(layoutProbe(ctx.sql.dialect, qualifiedName, table), { signal: ctx.signal, tag: ctx.tag });
    } catch (e) {
      // Only a plain statement error means "not there"; a locked file, a cancel or credentials are themselves.
      if (e instanceof WarehouseError && !e.transient && e.constructor === WarehouseError) {
        out.push({ table, exists: false });
        continue;
      }
      throw e;
    }
    const verdict = layoutVerdict(ctx.sql.dialect, table, rows);
    out.push({
      table,
      exists: true,
      ...verdict,
      migration: verdict.clustered ? [] : layoutMigration(ctx.sql.dialect, qualifiedName, table),
    });
  }
  return out;
}

/** `init`'s lines: what was found or created, and the migration of an old layout (printed, never run). */
export function formatLayouts(layouts: readonly TableLayout[]): string {
  return layouts
    .map((l) => {
      if (!l.exists) return `${l.table}: created`;
      if (l.clustered) return `${l.table}: exists, clustered: ${l.found}`;
      return (
        `${l.table}: exists, old layout: ${l.found}. init rewrites nothing; to move it to the new layout, in a maintenance window run:\n` +
        l.migration
          .map((m) =>
            m
              .split('\n')
              .map((line) => `    ${line}`)
              .join('\n'),
          )
          .join('\n')
      );
    })
    .join('\n');
}
