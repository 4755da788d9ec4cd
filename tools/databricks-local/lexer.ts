/**
 * A small tokenizer for the Databricks SQL the project writes: enough to
 * tell string literals, comments, identifiers, `:name` parameter markers and
 * `::` casts apart, and to find keywords at parenthesis depth 0.
 */

export type TokenKind =
  | 'space'
  | 'comment'
  | 'string'
  | 'dquoted'
  | 'backquoted'
  | 'word'
  | 'number'
  | 'param'
  | 'qmark'
  | 'lparen'
  | 'rparen'
  | 'semi'
  | 'dot'
  | 'comma'
  | 'op';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** Parenthesis depth the token sits at (a `(` sits at the outer depth). */
  readonly depth: number;
}

/** Raised for SQL the endpoint refuses to guess about. */
export class UnsupportedSql extends Error {
  override name = 'UnsupportedSql';
  constructor(
    readonly construct: string,
    readonly sqlState = '42601',
  ) {
    super(
      `[LOCAL_ENDPOINT_UNSUPPORTED] ${construct} is not supported by the local Databricks endpoint ` +
        '(it translates only the constructs crm-materializer uses)',
    );
  }
}

const WORD_START = /[A-Za-z_]/;
const WORD_PART = /[A-Za-z0-9_$]/;

function readQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) return i + 1;
    i += 1;
  }
  throw new UnsupportedSql(`an unterminated ${quote}-quoted text`);
}

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let i = 0;
  const push = (kind: TokenKind, end: number, at = depth): void => {
    tokens.push({ kind, text: sql.slice(i, end), depth: at });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      let j = i;
      while (j < sql.length && /\s/.test(sql[j] as string)) j += 1;
      push('space', j);
    } else if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      push('comment', end < 0 ? sql.length : end);
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new UnsupportedSql('an unterminated /* comment');
      push('comment', end + 2);
    } else if (c === "'") {
      const end = readQuoted(sql, i, "'");
      const body = sql.slice(i + 1, end - 1);
      if (body.includes('\\')) throw new UnsupportedSql(`a backslash escape inside the string literal ${sql.slice(i, end)}`);
      if (sql[end] === "'") throw new UnsupportedSql(`a doubled quote ('') inside a string literal near ${sql.slice(i, end + 1)}`);
      push('string', end);
    } else if (c === '"') {
      // Databricks reads "x" as a string literal, DuckDB as an identifier.
      throw new UnsupportedSql(`the double-quoted literal ${sql.slice(i, readQuoted(sql, i, '"'))}`);
    } else if (c === '`') {
      push('backquoted', readQuoted(sql, i, '`'));
    } else if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < sql.length && WORD_PART.test(sql[j] as string)) j += 1;
      push('word', j);
    } else if (/[0-9]/.test(c) || (c === '.' && next !== undefined && /[0-9]/.test(next))) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(sql.slice(i)) as RegExpExecArray;
      const end = i + m[0].length;
      if (end < sql.length && WORD_START.test(sql[end] as string)) {
        throw new UnsupportedSql(`the numeric literal suffix in ${sql.slice(i, end + 2)}`);
      }
      push('number', end);
    } else if (c === ':' && next === ':') {
      push('op', i + 2);
    } else if (c === ':' && next !== undefined && WORD_START.test(next)) {
      let j = i + 2;
      while (j < sql.length && WORD_PART.test(sql[j] as string)) j += 1;
      push('param', j);
    } else if (c === '(') {
      push('lparen', i + 1);
      depth += 1;
    } else if (c === ')') {
      depth -= 1;
      if (depth < 0) throw new UnsupportedSql('an unbalanced )');
      push('rparen', i + 1);
    } else if (c === ';') {
      push('semi', i + 1);
    } else if (c === '.') {
      push('dot', i + 1);
    } else if (c === ',') {
      push('comma', i + 1);
    } else if (c === '?') {
      push('qmark', i + 1);
    } else {
      push('op', i + 1);
    }
  }
  if (depth !== 0) throw new UnsupportedSql('an unbalanced (');
  return tokens;
}

/** Tokens that carry meaning (no spaces, no comments). */
export const meaningful = (tokens: readonly Token[]): Token[] => tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment');

export const isWord = (t: Token | undefined, ...words: string[]): boolean =>
  t !== undefined && t.kind === 'word' && words.includes(t.text.toUpperCase());

/**
 * Render tokens back to DuckDB SQL: `:name` → `$name`, `?` → `$n`,
 * `identifier` → "identifier". Returns the SQL and the parameters it uses.
 */
export function render(tokens: readonly Token[]): { sql: string; params: string[] } {
  const params: string[] = [];
  let ordinal = 0;
  const sql = tokens
    .map((t) => {
      if (t.kind === 'param') {
        const name = t.text.slice(1);
        if (!params.includes(name)) params.push(name);
        return `$${name}`;
      }
      if (t.kind === 'qmark') {
        ordinal += 1;
        params.push(String(ordinal));
        return `$${ordinal}`;
      }
      if (t.kind === 'backquoted') return `"${t.text.slice(1, -1).replace(/"/g, '""')}"`;
      return t.text;
    })
    .join('');
  return { sql: sql.trim(), params };
}

/** Parse a table name of 1 to 3 dot-separated parts starting at `tokens[at]`. */
export function readName(tokens: readonly Token[], at: number): { parts: string[]; next: number } | undefined {
  const parts: string[] = [];
  let i = at;
  for (;;) {
    const t = tokens[i];
    if (t === undefined || (t.kind !== 'word' && t.kind !== 'backquoted')) return undefined;
    parts.push(t.kind === 'backquoted' ? t.text.slice(1, -1) : t.text);
    i += 1;
    if (tokens[i]?.kind !== 'dot') break;
    i += 1;
  }
  return parts.length <= 3 ? { parts, next: i } : undefined;
}
