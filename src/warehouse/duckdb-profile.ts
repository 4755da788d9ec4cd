/**
 * DuckDB's own profiler, per statement: the rows each table scan read
 * (`operator_rows_scanned`: rows read from storage after zone-map pruning,
 * before filters), summed per table. Exact counts, unlike times on a shared
 * machine: the benchmark and the tests read them to see what a run scans.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { QueryTag } from './types.js';

export interface StatementProfile {
  readonly sql: string;
  /** Rows read per table (three-part name, as DuckDB reports it), summed over its scans. */
  readonly rowsScanned: Readonly<Record<string, number>>;
  /** Who ran it (task, table), as the statement was tagged. */
  readonly tag?: QueryTag;
}

export type ProfileListener = (profile: StatementProfile) => void;

interface ProfileNode {
  readonly operator_type?: string;
  readonly operator_rows_scanned?: number;
  readonly extra_info?: { readonly Table?: string };
  readonly children?: readonly ProfileNode[];
}

/** Rows scanned per table in one profile tree. */
export function rowsScannedByTable(root: ProfileNode): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (n: ProfileNode): void => {
    const table = n.extra_info?.Table;
    if (table !== undefined) out[table] = (out[table] ?? 0) + (n.operator_rows_scanned ?? 0);
    for (const c of n.children ?? []) walk(c);
  };
  walk(root);
  return out;
}

/** Turns profiling on for one connection; `read` returns the last statement's profile. */
export class ConnectionProfiler {
  private readonly dir = mkdtempSync(join(tmpdir(), 'crm-duckdb-profile-'));
  private readonly file = join(this.dir, 'last.json');

  async enable(c: DuckDBConnection): Promise<void> {
    await c.run(`PRAGMA enable_profiling = 'json'`);
    await c.run(`SET profiling_output = '${this.file.replaceAll("'", "''")}'`);
  }

  /** The profile of the statement that just ran (consumed; DDL writes none: nothing scanned). */
  read(sql: string): StatementProfile {
    if (!existsSync(this.file)) return { sql, rowsScanned: {} };
    const tree = JSON.parse(readFileSync(this.file, 'utf8')) as ProfileNode;
    rmSync(this.file);
    return { sql, rowsScanned: rowsScannedByTable(tree) };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
