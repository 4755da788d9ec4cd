/**
 * The read API's three warehouse-backed answers, each through the cache:
 * build the statement, query (retrying briefly while the engine is busy,
 * e.g. a DuckDB file held by another process), shape the rows, serialize.
 */
import { WarehouseError } from '../errors.js';
import type { ApiMetrics, ApiRoute } from '../metrics/api-metrics.js';
import type { Row, Statement, Warehouse } from '../warehouse/types.js';
import type { CacheOutcome, ReadCache } from './cache.js';
import type { CursorCodec } from './cursor.js';
import { ParamError, type ActionsQuery, type MetricsQuery, type PrioritiesQuery } from './params.js';
import { actionsPage, metricsBody, prioritiesBody } from './shape.js';
import type { ApiSql } from './statements.js';
import { checkRowCap } from './row-cap.js';

/** Waits between attempts when the engine reports a transient error (about 1 s in all). */
const RETRY_DELAYS_MS = [100, 250, 600];

export interface ReadsDeps {
  readonly warehouse: Warehouse;
  readonly sql: ApiSql;
  readonly cache: ReadCache;
  readonly cursors: CursorCodec;
  readonly metrics?: ApiMetrics;
  /** API_METRICS_MAX_ROWS: a larger metrics range is refused, saying how to page it. */
  readonly metricsMaxRows?: number;
}

export class ApiReads {
  constructor(private readonly d: ReadsDeps) {}

  metrics(q: MetricsQuery): Promise<CacheOutcome> {
    return this.d.cache.get('metrics', ['crm_metrics_daily'], q, async () => {
      const rows = await this.query('metrics', this.d.sql.metrics(q));
      if (this.d.metricsMaxRows !== undefined) checkRowCap(rows, this.d.metricsMaxRows, q.from);
      return JSON.stringify(metricsBody(q, rows));
    });
  }

  priorities(q: PrioritiesQuery): Promise<CacheOutcome> {
    return this.d.cache.get('priorities', ['crm_action_priorities_daily'], q, async () =>
      JSON.stringify(prioritiesBody(q, await this.query('priorities', this.d.sql.priorities(q)))),
    );
  }

  async actions(q: ActionsQuery): Promise<CacheOutcome> {
    const after = q.cursor === null ? undefined : await this.d.cursors.decode(q.cursor);
    if (after && q.date !== null && q.date !== after.date) {
      throw new ParamError('cursor', `cursor belongs to the listing of ${after.date}, not of date ${q.date}: start again without cursor`);
    }
    // A cursor keeps its pages on the snapshot it started on, even if a newer day arrives meanwhile.
    const date = q.date ?? after?.date ?? null;
    const key = { ...q, cursor: null, date, after: after ?? null };
    const load = async (): Promise<string> => {
      const page = actionsPage(q, await this.query('actions', this.d.sql.actions(q, date, after)));
      const next_cursor = page.next ? await this.d.cursors.encode(page.next) : null;
      return JSON.stringify({ ...page.body, next_cursor });
    };
    // Warmed after a refresh: first pages only (a cursor's page follows its snapshot, not what the next day's first load asks for).
    return this.d.cache.get('actions', ['crm_actions_open_snapshot'], key, load, !after);
  }

  private async query(route: ApiRoute, statement: Statement): Promise<Row[]> {
    for (let attempt = 0; ; attempt++) {
      this.d.metrics?.warehouseQuery(route);
      try {
        return await this.d.warehouse.query(statement, { tag: { task: 'api', table: route } });
      } catch (e) {
        const delay = RETRY_DELAYS_MS[attempt];
        if (!(e instanceof WarehouseError && e.transient) || delay === undefined) throw e;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
