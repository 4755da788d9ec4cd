/** The answers a web pod served lately, per table: what the warm-up after a refresh loads again. */
import type { TableName } from '../tables/registry.js';

/** Keys remembered per table, and loaded again after a refresh. */
export const HOT_KEYS_PER_TABLE = 256;

export type Reload = () => Promise<unknown>;

/** The answers served lately, per table, most recent last (a bounded LRU). */
export class HotKeys {
  private readonly byTable = new Map<TableName, Map<string, Reload>>();

  constructor(private readonly max = HOT_KEYS_PER_TABLE) {}

  note(table: TableName, id: string, reload: Reload): void {
    let keys = this.byTable.get(table);
    if (!keys) this.byTable.set(table, (keys = new Map<string, Reload>()));
    keys.delete(id);
    keys.set(id, reload);
    if (keys.size > this.max) keys.delete(keys.keys().next().value as string);
  }

  /** Most recent first. */
  recent(table: TableName): Reload[] {
    return [...(this.byTable.get(table)?.values() ?? [])].reverse();
  }
}
