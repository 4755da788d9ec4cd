/**
 * What a finished task leaves behind for the rest of the system (freshness,
 * metrics, the read API's cache), whoever ran it: a queue worker or
 * `run --inline`. Implemented by the state store (Redis).
 */
import type { TableName } from '../tables/registry.js';
import type { ValidationReport } from './validation.js';
import type { IsoDate } from '../dates.js';

export type TableTask = 'refresh' | 'retention';

export interface TableRecord {
  readonly date: IsoDate;
  readonly runId: string;
  readonly outcome: 'success' | 'failure';
  readonly seconds: number;
  /** Rows written (refresh); null on failure. */
  readonly rowsWritten: number | null;
  /** Rows deleted (retention). */
  readonly rowsDeleted?: number;
  readonly finishedAt: number; // unix ms
  readonly error?: string;
  /** Attempts BullMQ made of the job so far, this one included (they add up across retries from the board); absent for `run --inline`. */
  readonly attempts?: number;
  /** This settlement followed a retry from the board: by whom (the board user, or 'token'). */
  readonly retriedBy?: string;
}

export interface InlineRunRecord {
  readonly runId: string;
  readonly date: IsoDate;
  readonly plannedAt: number;
  readonly finishedAt: number;
  readonly outcome: 'success' | 'failure';
  readonly failed: readonly string[];
  /** Who ran it (the CLI's --operator or the OS user). */
  readonly operator?: string;
}

export interface RunRecorder {
  recordTask(table: TableName, task: TableTask, rec: TableRecord): Promise<void>;
  recordValidation(report: ValidationReport, at?: number): Promise<void>;
  recordInlineRun(rec: InlineRunRecord): Promise<void>;
}
