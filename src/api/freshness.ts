/**
 * GET /api/v1/freshness: per table, what the dashboard shows as "updated
 * at". Read from the state the workers record in Redis (the last refresh,
 * the last validation, the cache generation): never the warehouse.
 */
import { dateInZone, daysBetween } from '../dates.js';
import type { StateStore, TableRecord } from '../state/store.js';
import { TABLE_NAMES } from '../tables/registry.js';

type FreshnessState = Pick<StateStore, 'tables' | 'lastValidation' | 'generations'>;

const iso = (ms: number | undefined): string | null => (ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString());

function parseRecord(raw: string | undefined): TableRecord | undefined {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as TableRecord;
  } catch {
    return undefined;
  }
}

/** Today in the schedule's zone, worked out at most once a second (Intl formatting costs more than the rest of the answer). */
let today = { zone: '', value: '', until: 0 };
function todayIn(zone: string, now: Date): string {
  if (today.zone !== zone || now.getTime() >= today.until) today = { zone, value: dateInZone(now, zone), until: now.getTime() + 1000 };
  return today.value;
}

export async function freshnessBody(state: FreshnessState, scheduleTz: string, now = new Date()): Promise<object> {
  const [tables, validation, generations] = await Promise.all([state.tables(TABLE_NAMES), state.lastValidation(), state.generations(TABLE_NAMES)]);
  const today = todayIn(scheduleTz, now);
  return {
    checked_at: now.toISOString(),
    today,
    tables: TABLE_NAMES.map((table, i) => {
      const h = tables[table] ?? {};
      const last = parseRecord(h.last_refresh);
      const v = validation?.report.tables.find((t) => t.tabela === table);
      const latest = v?.ultima_data ?? null;
      return {
        table,
        // When its data last changed: the end of the last successful refresh. (A failure's message stays internal.)
        updated_at: iso(h.last_success_ts ? Number(h.last_success_ts) : undefined),
        refreshing: Number(h.refresh_active ?? 0) > 0,
        status: v?.status ?? 'unknown',
        latest_date: latest,
        data_lag_days: latest === null ? null : daysBetween(latest, today),
        last_refresh: last
          ? { date: last.date, run_id: last.runId, outcome: last.outcome, finished_at: iso(last.finishedAt), rows_written: last.rowsWritten }
          : null,
        last_validation: v && validation
          ? { date: validation.report.date, at: iso(validation.at), status: v.status, reasons: v.reasons, rows: v.registros, data_lag_days: v.dias_atraso }
          : null,
        generation: generations[i] ?? 0,
      };
    }),
  };
}
