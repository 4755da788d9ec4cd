/**
 * DuckDB's worker threads when the read API runs in the same process (the
 * one-process mode on the embedded file): every core but one, which is left
 * to the event loop that answers the API and the probes while a refresh
 * runs. Kept apart from duckdb.ts so deciding it does not load the driver.
 */
import { availableParallelism } from 'node:os';

export function engineThreadsBesideApi(cores = availableParallelism()): number {
  return Math.max(1, cores - 1);
}
