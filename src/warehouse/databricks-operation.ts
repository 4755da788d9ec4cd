/**
 * One submitted Databricks statement until it ends: polled with backoff,
 * cancelled in the warehouse when the task's signal aborts, failed (and
 * cancelled) when it stays queued past DATABRICKS_STARTUP_WAIT_MS, and
 * always closed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { thrift } from '@databricks/sql';
import { StatementCancelledError, WarehouseError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DatabricksOperation } from './databricks-client.js';

const State = thrift.TCLIService_types.TOperationState;
const FIRST_POLL_MS = 20;
const MAX_POLL_MS = 1000;
const QUEUED_LOG_EVERY_MS = 30_000;

export interface OperationContext {
  readonly log: Logger;
  /** How long a statement may stay queued (PENDING) before it is cancelled and the task fails, retryably. */
  readonly startupWaitMs: number;
  readonly signal?: AbortSignal;
}

const cancelled = (signal: AbortSignal): StatementCancelledError =>
  new StatementCancelledError(`statement cancelled: ${String(signal.reason ?? 'aborted')}`);

/** Run `consume` once the operation has finished; the operation is cancelled on abort and closed in every case. */
export async function runOperation<T>(
  op: DatabricksOperation,
  ctx: OperationContext,
  consume: (op: DatabricksOperation) => Promise<T>,
): Promise<T> {
  let cancelling: Promise<unknown> | undefined;
  const cancel = (): void => {
    cancelling ??= op.cancel().catch((e: unknown) => ctx.log.debug({ error: String(e) }, 'cancelling a Databricks statement failed'));
  };
  ctx.signal?.addEventListener('abort', cancel, { once: true });
  try {
    if (ctx.signal?.aborted) cancel();
    await awaitOperation(op, ctx, cancel);
    return await consume(op);
  } finally {
    ctx.signal?.removeEventListener('abort', cancel);
    if (cancelling) await cancelling;
    // After a cancel the driver treats the operation as ended and sends nothing more.
    await op.close().catch((e: unknown) => ctx.log.debug({ error: String(e) }, 'closing a Databricks operation failed'));
  }
}

async function awaitOperation(op: DatabricksOperation, ctx: OperationContext, cancel: () => void): Promise<void> {
  const { signal, log } = ctx;
  let queuedSince: number | undefined;
  let nextLog = 0;
  let pause = FIRST_POLL_MS;
  for (;;) {
    if (signal?.aborted) throw cancelled(signal);
    const status = await op.status();
    switch (status.operationState) {
      case State.FINISHED_STATE:
        return;
      case State.INITIALIZED_STATE:
      case State.PENDING_STATE: {
        const now = Date.now();
        queuedSince ??= now;
        const queuedMs = now - queuedSince;
        if (queuedMs > ctx.startupWaitMs) {
          cancel();
          throw new WarehouseError(
            `the statement stayed queued in the Databricks SQL warehouse for more than ` +
              `DATABRICKS_STARTUP_WAIT_MS=${ctx.startupWaitMs} (starting, or at its concurrency limit): ` +
              `cancelled, retried later`,
            { transient: true },
          );
        }
        if (queuedMs >= Math.min(2000, ctx.startupWaitMs / 2) && now >= nextLog) {
          log.info({ queuedMs, operationId: op.id }, 'waiting for the Databricks SQL warehouse: statement queued');
          nextLog = now + QUEUED_LOG_EVERY_MS;
        }
        break;
      }
      case State.RUNNING_STATE:
        queuedSince = undefined;
        break;
      case State.ERROR_STATE:
      case State.CANCELED_STATE:
      case State.TIMEDOUT_STATE:
      case State.CLOSED_STATE:
      case State.UKNOWN_STATE:
      case undefined:
        // Ended without success: the driver raises it with the warehouse's SQLSTATE and message.
        await op.finished();
        return;
    }
    await sleep(pause, undefined, { signal }).catch(() => undefined);
    pause = Math.min(pause * 2, MAX_POLL_MS);
  }
}

/** Rows written or deleted, from the counts Databricks returns for INSERT (incl. REPLACE WHERE) and DELETE. */
export function rowsAffectedOf(rows: readonly object[]): number | undefined {
  const first = rows[0] as Record<string, unknown> | undefined;
  const count = first?.num_inserted_rows ?? first?.num_affected_rows;
  return typeof count === 'number' || typeof count === 'bigint' || typeof count === 'string' ? Number(count) : undefined;
}
