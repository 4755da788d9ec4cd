/**
 * The project's named errors. Each carries a message an operator can act on;
 * `cause` keeps the original error for logs.
 */

/** A bad environment variable, CLI flag or payload: exit code 2, nothing changed. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** One or more bad environment variables (every bad variable is listed). */
export class ConfigError extends UsageError {
  override name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}

/** A source view the SQL reads does not exist where the config says it is. */
export class SourceMissingError extends Error {
  override name = 'SourceMissingError';
}

/** A statement failed in the warehouse. `transient` errors are worth retrying. */
export class WarehouseError extends Error {
  override name = 'WarehouseError';
  readonly sqlState: string | undefined;
  readonly transient: boolean;
  constructor(message: string, opts: { cause?: unknown; sqlState?: string; transient?: boolean } = {}) {
    super(message, { cause: opts.cause });
    this.sqlState = opts.sqlState;
    this.transient = opts.transient ?? false;
  }
}

/** The warehouse rejected the credentials: retrying will not help. */
export class WarehouseAuthError extends WarehouseError {
  override name = 'WarehouseAuthError';
}

/** The principal lacks a privilege on an object (SQLSTATE 42501): an administrator must grant it. */
export class WarehousePermissionError extends WarehouseError {
  override name = 'WarehousePermissionError';
}

/**
 * The engine's file cannot be used: not a database, truncated, or a block
 * failing its checksum. Retrying cannot help: restore the file.
 */
export class WarehouseFileError extends WarehouseError {
  override name = 'WarehouseFileError';
}

/** The database file is held by another process (transient: it is released when that process ends). */
export class WarehouseBusyError extends WarehouseError {
  override name = 'WarehouseBusyError';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { ...opts, transient: true });
  }
}

/**
 * A refreshed day looks broken next to the days before it: it was not
 * published (the previous rows are kept). Retrying reads the same source;
 * an operator accepts it with `run --accept-anomaly`.
 */
export class PublishHeldError extends Error {
  override name = 'PublishHeldError';
}

/** A running statement was cancelled because its task was aborted (timeout, shutdown). */
export class StatementCancelledError extends WarehouseError {
  override name = 'StatementCancelledError';
  constructor(message = 'statement cancelled', opts: { cause?: unknown } = {}) {
    super(message, { ...opts, transient: true });
  }
}

/** Coerce anything thrown into an Error, once, at the edges. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown));
}
