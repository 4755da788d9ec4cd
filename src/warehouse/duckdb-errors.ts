/**
 * DuckDB's failures, named for the operator: a damaged file, a full disk, a
 * file held by another process, a file that does not exist. Each message
 * says what to do; only what may pass by itself is transient (retried).
 */
import { existsSync } from 'node:fs';
import {
  PublishHeldError,
  StatementCancelledError,
  UsageError,
  WarehouseBusyError,
  WarehouseError,
  WarehouseFileError,
} from '../errors.js';
import type { Logger } from '../log.js';

const DAMAGED = /not a valid DuckDB database file|Corrupt database file|checksum|Could not read enough bytes|file is truncated/i;
const DISK_FULL = /No space left on device|ENOSPC|disk is full|Disk quota exceeded/i;
const HELD = /Could not set lock|Conflicting lock|lock on file/i;

export function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

/** The error a DuckDB failure on the file at `path` stands for. */
export function duckDbError(e: unknown, path: string, signal?: AbortSignal): Error {
  // Ours already (a check before a commit that held it, too): as is.
  if (e instanceof WarehouseError || e instanceof UsageError || e instanceof PublishHeldError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (signal?.aborted || /INTERRUPT/i.test(message)) {
    return new StatementCancelledError(`statement interrupted: ${String(signal?.reason ?? 'aborted')}`, { cause: e });
  }
  if (DAMAGED.test(message)) {
    return new WarehouseFileError(
      `DuckDB file ${path} is damaged (${firstLine(message)}): stop the service, restore the file from ` +
        `a backup (or move it away, run 'crm-materializer init' and rebuild with a backfill), then run ` +
        `again`,
      { cause: e },
    );
  }
  if (DISK_FULL.test(message)) {
    return new WarehouseError(
      `no space left on the disk of DuckDB file ${path}: free space there (the task is retried; nothing ` +
        `was published) (${firstLine(message)})`,
      {
        cause: e,
        transient: true,
      },
    );
  }
  if (HELD.test(message))
    return new WarehouseBusyError(`DuckDB file ${path} is in use by another process: wait for it to finish (${firstLine(message)})`, {
      cause: e,
    });
  return new WarehouseError(firstLine(message), { cause: e, transient: /conflict/i.test(message) });
}

/** A database file that must exist (everything but `init` and `demo seed`): one line naming DUCKDB_PATH and the fix. */
export function requireDuckDbFile(path: string, variable = 'DUCKDB_PATH'): void {
  const problem = missingDuckDbFile(path, variable);
  if (problem) throw new UsageError(problem);
}

/** Why the database file is not there, or undefined when it is. */
export function missingDuckDbFile(path: string, variable = 'DUCKDB_PATH'): string | undefined {
  if (existsSync(path)) return undefined;
  return (
    `${variable}='${path}' does not exist: run 'crm-materializer init' (or 'crm-materializer demo ` +
    `seed') to create it, or set ${variable} to the existing database file`
  );
}

/**
 * Run `fn`, waiting while the file is held by another process (a DuckDB
 * shell, a seeder): a log line, then tries again with a growing pause, up to `maxWaitMs`.
 */
export async function waitWhileHeld<T>(fn: () => Promise<T>, log: Logger, maxWaitMs: number, pauseMs = 500): Promise<T> {
  const deadline = Date.now() + maxWaitMs;
  for (let pause = pauseMs; ; pause = Math.min(pause * 2, 5_000)) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof WarehouseBusyError) || Date.now() + pause > deadline) throw e;
      log.warn({ error: e.message, retryInMs: pause }, 'database file held by another process: waiting for it');
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}
