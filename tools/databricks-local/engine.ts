/**
 * The DuckDB side: one in-memory instance with the database file attached
 * under the catalog's name (so `catalog.schema.table` resolves as on
 * Databricks), one connection per Thrift session.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { StatementError } from './params.js';

/** Spark's two-argument datediff(end, start), next to DuckDB's own three-argument form. */
const DATEDIFF_MACRO =
  'CREATE OR REPLACE TEMP MACRO datediff(end_date, start_date) AS ' +
  "CAST(date_diff('day', CAST(start_date AS DATE), CAST(end_date AS DATE)) AS INTEGER), " +
  '(part, start_date, end_date) AS date_diff(part, start_date, end_date)';

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const quoteText = (text: string): string => `'${text.replace(/'/g, "''")}'`;

export interface EngineOptions {
  /** DuckDB database file, or ':memory:'. */
  readonly path: string;
  /** Catalog name the file is attached as, e.g. hs_franquia. */
  readonly catalog: string;
  /** DuckDB SQL run once after attaching (seed data, schemas). */
  readonly setupSql: readonly string[];
}

export class DuckEngine {
  private readonly connections = new Set<DuckDBConnection>();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly admin: DuckDBConnection,
    readonly catalog: string,
  ) {}

  static async open(options: EngineOptions): Promise<DuckEngine> {
    const instance = await DuckDBInstance.create(':memory:');
    const admin = await instance.connect();
    try {
      await admin.run(`ATTACH ${quoteText(options.path)} AS ${quoteIdent(options.catalog)}`);
      await admin.run(`USE ${quoteIdent(options.catalog)}`);
      for (const sql of options.setupSql) await admin.run(sql);
    } catch (error) {
      admin.closeSync();
      instance.closeSync();
      throw error;
    }
    return new DuckEngine(instance, admin, options.catalog);
  }

  /**
   * A session's connection, in `catalog.schema` (as OpenSession's
   * initialNamespace). A missing catalog or schema fails as Databricks does.
   */
  async connect(catalog: string | undefined, schema: string | undefined): Promise<DuckDBConnection> {
    const conn = await this.instance.connect();
    try {
      await conn.run(DATEDIFF_MACRO);
      const cat = catalog ?? this.catalog;
      if (cat !== this.catalog) {
        throw new StatementError(
          '42704',
          `[NO_SUCH_CATALOG_EXCEPTION] Catalog '${cat}' was not found (the local endpoint serves only '${this.catalog}')`,
        );
      }
      const target = schema === undefined ? quoteIdent(cat) : `${quoteIdent(cat)}.${quoteIdent(schema)}`;
      try {
        await conn.run(`USE ${target}`);
      } catch {
        throw new StatementError('42704', `[SCHEMA_NOT_FOUND] The schema \`${cat}\`.\`${schema ?? ''}\` cannot be found.`);
      }
    } catch (error) {
      conn.closeSync();
      throw error;
    }
    this.connections.add(conn);
    return conn;
  }

  release(conn: DuckDBConnection): void {
    if (this.connections.delete(conn)) conn.closeSync();
  }

  /** Run DuckDB SQL directly (test assertions); rows as plain JS objects. */
  async query(sql: string): Promise<Array<Record<string, unknown>>> {
    const reader = await this.admin.runAndReadAll(sql);
    return reader.getRowObjectsJS();
  }

  close(): void {
    for (const conn of this.connections) conn.closeSync();
    this.connections.clear();
    this.admin.closeSync();
    this.instance.closeSync();
  }
}
