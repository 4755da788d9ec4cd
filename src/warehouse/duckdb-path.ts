/**
 * The DuckDB file's folder must exist (or be creatable) and be writable
 * before anything opens it. Checked up front, one folder at a time: Node's
 * recursive mkdir never returns under /proc, and an unusable path should be
 * one line at start-up, not a task failing at 06:00.
 */
import { accessSync, constants, mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { duckDbError } from './duckdb-errors.js';

/** The folders from the nearest existing ancestor (exclusive) down to `folder`. */
function missingFolders(folder: string): { existing: string; missing: string[] } {
  const missing: string[] = [];
  for (let dir = folder; ; dir = dirname(dir)) {
    try {
      statSync(dir);
      return { existing: dir, missing: missing.reverse() };
    } catch {
      missing.push(dir);
      if (dirname(dir) === dir) return { existing: dir, missing: missing.reverse() };
    }
  }
}

/** Create the file's folder if needed and prove it writable; a UsageError naming DUCKDB_PATH otherwise. */
export function prepareDuckDbFolder(path: string, variable = 'DUCKDB_PATH'): void {
  const file = resolve(path);
  const folder = dirname(file);
  const fail = (why: string): never => {
    throw new UsageError(
      `${variable}='${path}' is not usable: ${why}: set ${variable} to a file in a writable folder (default ./data/crm.duckdb)`,
    );
  };
  const { existing, missing } = missingFolders(folder);
  if (!statSync(existing, { throwIfNoEntry: false })?.isDirectory()) fail(`${existing} is not a folder`);
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (e) {
      fail(`cannot create folder ${dir} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) fail(`${file} is a folder`);
  try {
    accessSync(folder, constants.W_OK);
    // A real write: a read-only or full filesystem, or a pseudo-filesystem such as /proc, refuses it.
    const probe = join(folder, `.crm-write-check-${process.pid}`);
    writeFileSync(probe, 'ok');
    unlinkSync(probe);
  } catch (e) {
    // A full disk passes: transient, not a bad path.
    if (['ENOSPC', 'EDQUOT'].includes((e as NodeJS.ErrnoException).code ?? '')) throw duckDbError(e, file);
    fail(`cannot write in ${folder} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
