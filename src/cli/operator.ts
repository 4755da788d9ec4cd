/** Who is acting at the command line: `--operator`, else the OS user; kept in run records and audit log lines. */
import { userInfo } from 'node:os';
import { UsageError } from '../errors.js';

/** The OS user, or 'unknown' where the process has none (a container without a passwd entry). */
export function defaultOperator(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/** `--operator <name>`: 1-64 letters, digits or . @ + - _; the OS user when not given. */
export function parseOperatorFlag(raw: string | undefined): string {
  if (raw === undefined) return defaultOperator();
  const name = raw.trim();
  if (!/^[\w.@+-]{1,64}$/.test(name))
    throw new UsageError(`--operator '${raw}' is not valid: use 1-64 letters, digits or . @ + - _ (e.g. --operator jane.doe)`);
  return name;
}
