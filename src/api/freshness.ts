/**
 * GET /api/v1/freshness: per table, what the dashboard shows as "updated
 * at". Read from the state the workers (and inline runs) record in Redis:
 * never the warehouse. A table's latest date is the newest date it holds that
 * was written successfully; re-running an older date never moves it back.
 */
import { todayIn, type Clock } from '../clock.js';
import { asIsoDate, dataLagDays, type IsoDate } from '../dates.js';
import type { StateStore, TableRecord } from '../state/store.js';
import { TABLE_NAMES } from '../tables/registry.js';
import type { FreshnessAnswer } from './schemas.js';

type FreshnessState = Pick<StateStore, 'freshness'>;

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
let cached = { zone: '', value: '' as IsoDate, from: 0, until: 0 };
function today(clock: Clock, zone: string): { now: Date; today: IsoDate } {
  const now = clock.now();
  const t = now.getTime();
  if (cached.zone !== zone || t < cached.from || t >= cached.until)
    cached = { zone, value: todayIn({ now: () => now }, zone), from: t, until: t + 1000 };
  return { now, today: cached.value };
}

export async function freshnessBody(state: FreshnessState, scheduleTz: string, clock: Clock): Promise<FreshnessAnswer> {
  const { tables, validation, generations } = await state.freshness(TABLE_NAMES);
  const { now, today: day } = today(clock, scheduleTz);
  return {
    checked_at: now.toISOString(),
    today: day,
    tables: TABLE_NAMES.map((table, i) => {
      const h = tables[table] ?? {};
      const last = parseRecord(h.last_refresh);
      const v = validation?.report.tables.find((t) => t.tabela === table);
      const latest = asIsoDate(h.latest_date);
      return {
        table,
        // When its data last changed: the end of the last successful refresh. (A failure's message stays internal.)
        updated_at: iso(h.last_success_ts ? Number(h.last_success_ts) : undefined),
        refreshing: Number(h.refresh_active ?? 0) > 0,
        status: v?.status ?? 'unknown',
        latest_date: latest,
        // Days from latest_date to today in the schedule's zone (never negative).
        data_lag_days: latest === null ? null : dataLagDays(latest, day),
        last_refresh: last
          ? {
              date: last.date,
              run_id: last.runId,
              outcome: last.outcome,
              finished_at: iso(last.finishedAt),
              rows_written: last.rowsWritten,
            }
          : null,
        // The validation of the newest reference date; its lag is counted to that date, not to today.
        last_validation:
          v && validation
            ? {
                date: validation.report.date,
                at: iso(validation.at),
                status: v.status,
                reasons: v.reasons,
                rows: v.registros,
                data_lag_days_at_date: v.dias_atraso,
              }
            : null,
        generation: generations[i] ?? 0,
      };
    }),
  };
}
