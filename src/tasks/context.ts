/**
 * What every task needs, whoever runs it (the CLI inline, or a queue worker).
 */
import type { Logger } from '../log.js';
import type { SqlBuilder } from '../tables/statements.js';
import type { QueryTag, Warehouse } from '../warehouse/types.js';

export interface TaskContext {
  readonly warehouse: Warehouse;
  readonly sql: SqlBuilder;
  readonly log: Logger;
  /** Aborting cancels the running statement (timeout, shutdown). */
  readonly signal?: AbortSignal;
  readonly tag?: QueryTag;
  /** Progress for a human: job log lines on the board, nothing inline. */
  readonly progress?: (message: string) => void | Promise<void>;
}

export function elapsedSeconds(startedAt: number): number {
  return Math.round((performance.now() - startedAt) / 10) / 100;
}
