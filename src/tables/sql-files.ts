/**
 * The SQL in sql/, read once. Templates use `{{name}}` for identifiers (from
 * validated config only) and `{{include:file.sql}}` for shared fragments;
 * values are always `:name` parameters.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A SQL identifier as the service accepts it (catalog, schema, table, column names). */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** sql/ at the package root (the same depth from src/ and dist/). */
export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

const cache = new Map<string, string>();
const PLACEHOLDER = /\{\{\s*([a-z_]+)(?::([A-Za-z0-9_.]+))?\s*\}\}/g;

/** The file's text with its includes expanded. Missing files throw at start-up, not at 06:00. */
export function sqlFile(file: string): string {
  const cached = cache.get(file);
  if (cached !== undefined) return cached;
  let text: string;
  try {
    text = readFileSync(SQL_DIR + file, 'utf8');
  } catch (e) {
    throw new Error(`SQL file ${SQL_DIR}${file} cannot be read: the installation is incomplete`, { cause: e });
  }
  const expanded = text
    .replace(PLACEHOLDER, (whole, name: string, arg: string | undefined) => (name === 'include' && arg ? sqlFile(arg) : whole))
    .trim();
  cache.set(file, expanded);
  return expanded;
}

/**
 * Fill `{{name}}` placeholders. Values must be dotted identifiers (or the
 * empty string / known clause for table_options); anything else is a bug.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER, (_whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`SQL template placeholder {{${name}}} has no value`);
    return value;
  });
}

/** `a.b.c` from validated identifiers; throws on anything else. */
export function qualified(...parts: string[]): string {
  for (const p of parts) {
    if (!IDENTIFIER.test(p)) throw new Error(`'${p}' is not a valid SQL identifier`);
  }
  return parts.join('.');
}
