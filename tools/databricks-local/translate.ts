/**
 * Databricks SQL → DuckDB, for the constructs crm-materializer writes and
 * nothing more: anything else fails loudly with UnsupportedSql.
 */
import { isWord, meaningful, readName, render, tokenize, UnsupportedSql, type Token } from './lexer.js';

export interface DuckSql {
  readonly sql: string;
  /** Parameter names used (`:name`), or ordinals ('1', '2', …) for `?` markers. */
  readonly params: readonly string[];
}

export type Plan =
  | { readonly kind: 'query'; readonly statement: DuckSql }
  | { readonly kind: 'insert'; readonly statement: DuckSql }
  | { readonly kind: 'ctas'; readonly table: string; readonly statement: DuckSql }
  | { readonly kind: 'delete'; readonly statement: DuckSql }
  | { readonly kind: 'ddl' | 'use'; readonly statement: DuckSql; readonly layout?: TableLayout }
  | { readonly kind: 'replace'; readonly table: string; readonly delete: DuckSql; readonly insert: DuckSql; readonly conforming: DuckSql }
  | { readonly kind: 'set'; readonly key: string | undefined; readonly value: string | undefined }
  | { readonly kind: 'vacuum'; readonly table: string; readonly retainHours: number | undefined }
  | { readonly kind: 'optimize'; readonly table: string };

/** A created table's Delta layout (PARTITIONED BY / CLUSTER BY), kept as its DuckDB comment for DESCRIBE DETAIL. */
export interface TableLayout {
  readonly table: string;
  readonly partitionColumns: readonly string[];
  readonly clusteringColumns: readonly string[];
}

/** Statement kinds that return rows to the client. */
export const returnsRows = (plan: Plan): boolean => !['ddl', 'use'].includes(plan.kind);

const QUERY_START = ['SELECT', 'WITH', 'VALUES'];
const UNSUPPORTED_TABLE_CLAUSES = ['COMMENT', 'TBLPROPERTIES', 'LOCATION', 'OPTIONS', 'ROW', 'STORED', 'CLUSTERED', 'DEFAULT'];

/** Meaningful tokens, with slices that keep the original spacing and comments. */
class Tokens {
  private readonly index: number[];
  constructor(private readonly all: Token[]) {
    this.index = all.flatMap((t, i) => (t.kind === 'space' || t.kind === 'comment' ? [] : [i]));
  }
  get length(): number {
    return this.index.length;
  }
  at(k: number): Token | undefined {
    const i = this.index[k];
    return i === undefined ? undefined : this.all[i];
  }
  meaningful(): Token[] {
    return this.index.map((i) => this.all[i] as Token);
  }
  /** Original tokens from meaningful position `from` up to (not including) `to`. */
  slice(from: number, to = this.length): Token[] {
    const start = this.index[from] ?? this.all.length;
    const end = to >= this.length ? this.all.length : (this.index[to] as number);
    return this.all.slice(start, end);
  }
  word(k: number): string {
    const t = this.at(k);
    return t?.kind === 'word' ? t.text.toUpperCase() : '';
  }
  /** Position of the `)` closing the `(` at `k`. */
  closing(k: number): number {
    const open = this.at(k) as Token;
    for (let j = k + 1; j < this.length; j += 1) {
      const t = this.at(j) as Token;
      if (t.kind === 'rparen' && t.depth === open.depth) return j;
    }
    throw new UnsupportedSql('an unbalanced (');
  }
  /** First position ≥ `from` holding a depth-0 word among `words`. */
  findTop(from: number, words: string[]): number {
    for (let j = from; j < this.length; j += 1) {
      const t = this.at(j) as Token;
      if (t.depth === 0 && isWord(t, ...words)) return j;
    }
    return -1;
  }
}

function nameAt(tokens: Tokens, k: number, what: string): { name: string; next: number } {
  const read = readName(tokens.meaningful(), k);
  if (!read) throw new UnsupportedSql(`${what} without a table name of one to three parts`);
  const name = render(tokens.slice(k, read.next)).sql;
  return { name, next: read.next };
}

function rendered(tokens: Tokens, from: number, to?: number): DuckSql {
  return render(tokens.slice(from, to));
}

function skipWords(tokens: Tokens, k: number, ...words: string[]): number {
  let j = k;
  for (const w of words) {
    if (tokens.word(j) !== w) return k;
    j += 1;
  }
  return j;
}

function createTable(tokens: Tokens): Plan {
  let k = skipWords(tokens, 1, 'OR', 'REPLACE');
  // A temporary table (session-scoped): DuckDB's own TEMPORARY TABLE, on the session's connection.
  if (['TEMP', 'TEMPORARY'].includes(tokens.word(k))) k += 1;
  if (tokens.word(k) !== 'TABLE') throw new UnsupportedSql(`CREATE ${tokens.word(1)}`);
  k = skipWords(tokens, k + 1, 'IF', 'NOT', 'EXISTS');
  const { name, next } = nameAt(tokens, k, 'CREATE TABLE');
  const head = rendered(tokens, 0, next).sql;
  let columns = '';
  const layout = { table: name, partitionColumns: [] as string[], clusteringColumns: [] as string[] };
  k = next;
  if (tokens.at(k)?.kind === 'lparen') {
    const end = tokens.closing(k);
    const inner = tokens.meaningful().slice(k + 1, end);
    const bad = inner.find((t) => isWord(t, 'COMMENT', 'GENERATED', 'MASK', 'CONSTRAINT'));
    if (bad) throw new UnsupportedSql(`${bad.text.toUpperCase()} in a CREATE TABLE column list`);
    columns = ` ${rendered(tokens, k, end + 1).sql}`;
    k = end + 1;
  }
  while (k < tokens.length) {
    const w = tokens.word(k);
    if (w === 'USING') {
      if (tokens.word(k + 1) !== 'DELTA') throw new UnsupportedSql(`CREATE TABLE … USING ${tokens.at(k + 1)?.text ?? ''}`);
      k += 2;
    } else if ((w === 'PARTITIONED' || w === 'CLUSTER') && tokens.word(k + 1) === 'BY' && tokens.at(k + 2)?.kind === 'lparen') {
      // A physical layout (partitions, liquid clustering): nothing to translate; DESCRIBE DETAIL reports it.
      const end = tokens.closing(k + 2);
      const cols = tokens
        .meaningful()
        .slice(k + 3, end)
        .filter((t) => t.kind === 'word')
        .map((t) => t.text);
      if (w === 'PARTITIONED') layout.partitionColumns = cols;
      else layout.clusteringColumns = cols;
      k = end + 1;
    } else if (w === 'AS') {
      const query = rendered(tokens, k + 1);
      return { kind: 'ctas', table: name, statement: { sql: `${head}${columns} AS ${query.sql}`, params: query.params } };
    } else if (UNSUPPORTED_TABLE_CLAUSES.includes(w)) {
      throw new UnsupportedSql(`CREATE TABLE … ${w}`);
    } else {
      throw new UnsupportedSql(`CREATE TABLE … ${tokens.at(k)?.text ?? ''}`);
    }
  }
  return { kind: 'ddl', statement: { sql: `${head}${columns}`, params: [] }, layout };
}

/** DESCRIBE DETAIL t: Delta's layout columns, from the comment CREATE TABLE left (a missing table fails as on Databricks). */
function describeDetail(tokens: Tokens): Plan {
  if (tokens.word(1) !== 'DETAIL') throw new UnsupportedSql(`DESCRIBE ${tokens.at(1)?.text ?? ''}`);
  const { name, next } = nameAt(tokens, 2, 'DESCRIBE DETAIL');
  if (next < tokens.length) throw new UnsupportedSql(`DESCRIBE DETAIL … ${tokens.at(next)?.text ?? ''}`);
  const parts = name.split('.');
  if (parts.length !== 3) throw new UnsupportedSql('DESCRIBE DETAIL of a name without catalog and schema');
  const [catalog, schema, table] = parts.map((p) => `'${p.replaceAll("'", "''")}'`);
  const layout = (key: string): string => `COALESCE(json_extract_string(comment, '$.${key}'), '[]')`;
  return {
    kind: 'query',
    statement: {
      sql:
        `SELECT 'delta' AS format, ${table} AS name, ${layout('partitionColumns')} AS partitionColumns, ${layout('clusteringColumns')} AS clusteringColumns, ` +
        `(SELECT COUNT(*) FROM ${name}) AS numRows FROM duckdb_tables() WHERE database_name = ${catalog} AND schema_name = ${schema} AND table_name = ${table}`,
      params: [],
    },
  };
}

function create(tokens: Tokens): Plan {
  const w1 = tokens.word(1);
  if (w1 === 'SCHEMA') {
    const k = skipWords(tokens, 2, 'IF', 'NOT', 'EXISTS');
    const { next } = nameAt(tokens, k, 'CREATE SCHEMA');
    if (next < tokens.length) throw new UnsupportedSql(`CREATE SCHEMA … ${tokens.at(next)?.text ?? ''}`);
    return { kind: 'ddl', statement: rendered(tokens, 0) };
  }
  let k = skipWords(tokens, 1, 'OR', 'REPLACE');
  if (['TEMP', 'TEMPORARY'].includes(tokens.word(k))) k += 1;
  if (tokens.word(k) === 'VIEW') {
    if (tokens.findTop(k, ['AS']) < 0) throw new UnsupportedSql('CREATE VIEW without AS');
    return { kind: 'ddl', statement: rendered(tokens, 0) };
  }
  return createTable(tokens);
}

function insert(tokens: Tokens): Plan {
  if (tokens.word(1) !== 'INTO') throw new UnsupportedSql(`INSERT ${tokens.word(1) || tokens.at(1)?.text || ''}`.trim());
  const { name, next } = nameAt(tokens, 2, 'INSERT INTO');
  const w = tokens.word(next);
  if (w === 'REPLACE') {
    if (tokens.word(next + 1) !== 'WHERE') throw new UnsupportedSql(`INSERT INTO … REPLACE ${tokens.word(next + 1)}`);
    const queryAt = tokens.findTop(next + 2, QUERY_START);
    if (queryAt < 0) throw new UnsupportedSql('INSERT INTO … REPLACE WHERE without a SELECT/WITH query');
    const predicate = rendered(tokens, next + 2, queryAt);
    const query = rendered(tokens, queryAt);
    return {
      kind: 'replace',
      table: name,
      delete: { sql: `DELETE FROM ${name} WHERE ${predicate.sql}`, params: predicate.params },
      insert: { sql: `INSERT INTO ${name} ${query.sql}`, params: query.params },
      conforming: { sql: `SELECT COUNT(*) AS n FROM ${name} WHERE ${predicate.sql}`, params: predicate.params },
    };
  }
  if (QUERY_START.includes(w) || tokens.at(next)?.kind === 'lparen') {
    return { kind: 'insert', statement: rendered(tokens, 0) };
  }
  throw new UnsupportedSql(`INSERT INTO … ${tokens.at(next)?.text ?? '(nothing)'}`);
}

function maintenance(tokens: Tokens, verb: 'VACUUM' | 'OPTIMIZE'): Plan {
  const { name, next } = nameAt(tokens, 1, verb);
  if (verb === 'OPTIMIZE') {
    if (next < tokens.length) throw new UnsupportedSql(`OPTIMIZE … ${tokens.at(next)?.text ?? ''}`);
    return { kind: 'optimize', table: name };
  }
  if (next === tokens.length) return { kind: 'vacuum', table: name, retainHours: undefined };
  const hours = tokens.at(next + 1);
  if (tokens.word(next) !== 'RETAIN' || hours?.kind !== 'number' || tokens.word(next + 2) !== 'HOURS' || next + 3 !== tokens.length) {
    throw new UnsupportedSql(`VACUUM … ${render(tokens.slice(next)).sql}`);
  }
  return { kind: 'vacuum', table: name, retainHours: Number(hours.text) };
}

function set(tokens: Tokens): Plan {
  if (tokens.length === 1) return { kind: 'set', key: undefined, value: undefined };
  const eq = tokens.meaningful().findIndex((t) => t.kind === 'op' && t.text === '=');
  const keyTokens = eq < 0 ? tokens.slice(1) : tokens.slice(1, eq);
  const key = keyTokens
    .map((t) => t.text)
    .join('')
    .trim();
  if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(key)) throw new UnsupportedSql(`SET ${key}`);
  if (eq < 0) return { kind: 'set', key, value: undefined };
  const valueTokens = meaningful(tokens.slice(eq + 1));
  const only = valueTokens.length === 1 ? valueTokens[0] : undefined;
  const value = only?.kind === 'string' ? only.text.slice(1, -1) : render(tokens.slice(eq + 1)).sql;
  return { kind: 'set', key, value };
}

function drop(tokens: Tokens): Plan {
  // DROP TEMPORARY TABLE [IF EXISTS] name: the session's temporary table (DuckDB's temp schema).
  if (tokens.word(1) === 'TEMPORARY' && tokens.word(2) === 'TABLE') {
    const k = skipWords(tokens, 3, 'IF', 'EXISTS');
    const { name, next } = nameAt(tokens, k, 'DROP TEMPORARY TABLE');
    if (next < tokens.length || name.includes('.')) throw new UnsupportedSql('DROP TEMPORARY TABLE takes one unqualified name');
    return { kind: 'ddl', statement: { sql: `DROP TABLE IF EXISTS temp.main.${name}`, params: [] } };
  }
  if (!['TABLE', 'VIEW', 'SCHEMA'].includes(tokens.word(1))) throw new UnsupportedSql(`DROP ${tokens.at(1)?.text ?? ''}`);
  return { kind: 'ddl', statement: rendered(tokens, 0) };
}

function query(tokens: Tokens): Plan {
  const dml = tokens.findTop(0, ['INSERT', 'DELETE', 'UPDATE', 'MERGE']);
  if (dml >= 0) throw new UnsupportedSql(`WITH … ${tokens.word(dml)}`);
  // Spark-only clauses DuckDB would reject with a less helpful message.
  for (let k = 0; k + 1 < tokens.length; k += 1) {
    const pair = `${tokens.word(k)} ${tokens.word(k + 1)}`;
    if (['LATERAL VIEW', 'DISTRIBUTE BY', 'SORT BY', 'CLUSTER BY'].includes(pair)) throw new UnsupportedSql(pair);
  }
  return { kind: 'query', statement: rendered(tokens, 0) };
}

/** Translate one Databricks statement. Throws UnsupportedSql for anything the project does not use. */
export function translate(statement: string): Plan {
  let all = tokenize(statement);
  // Trailing semicolons are fine; a second statement is not.
  while (all.length > 0 && ['space', 'comment', 'semi'].includes((all[all.length - 1] as Token).kind)) all = all.slice(0, -1);
  if (all.some((t) => t.kind === 'semi')) throw new UnsupportedSql('more than one statement in one request');
  const tokens = new Tokens(all);
  if (tokens.length === 0) throw new UnsupportedSql('an empty statement');
  const first = tokens.word(0);
  if (QUERY_START.includes(first) || tokens.at(0)?.kind === 'lparen') return query(tokens);
  switch (first) {
    case 'INSERT':
      return insert(tokens);
    case 'DELETE': {
      if (tokens.word(1) !== 'FROM') throw new UnsupportedSql('DELETE without FROM');
      nameAt(tokens, 2, 'DELETE FROM');
      return { kind: 'delete', statement: rendered(tokens, 0) };
    }
    case 'CREATE':
      return create(tokens);
    case 'DROP':
      return drop(tokens);
    case 'DESCRIBE':
      return describeDetail(tokens);
    case 'TRUNCATE':
      return { kind: 'ddl', statement: rendered(tokens, 0) };
    case 'USE': {
      const k = ['CATALOG', 'SCHEMA', 'DATABASE'].includes(tokens.word(1)) ? 2 : 1;
      const { name, next } = nameAt(tokens, k, 'USE');
      if (next < tokens.length) throw new UnsupportedSql(`USE … ${tokens.at(next)?.text ?? ''}`);
      return { kind: 'use', statement: { sql: `USE ${name}`, params: [] } };
    }
    case 'VACUUM':
    case 'OPTIMIZE':
      return maintenance(tokens, first);
    case 'SET':
      return set(tokens);
    default:
      throw new UnsupportedSql(`the statement ${first || tokens.at(0)?.text || ''}`.trim());
  }
}
