/** Row normalisation shared by every engine: rows reach the tasks in one shape. */
import type { Row } from './types.js';

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const MIN = BigInt(Number.MIN_SAFE_INTEGER);

/** bigint → number where exact (counts, sums); DATE/TIMESTAMP stay Date objects. */
export function normalizeRow(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = typeof v === 'bigint' && v <= MAX && v >= MIN ? Number(v) : v;
  }
  return out;
}
