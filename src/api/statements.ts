/**
 * The read API's statements: the SQL files 20-22 with the target schema from
 * validated config and every value a bound parameter, in the engine's dialect.
 */
import type { Config } from '../config/index.js';
import { fillTemplate, qualified, sqlFile } from '../tables/sql-files.js';
import type { Dialect } from '../warehouse/dialect.js';
import { sqlDate, type Params, type Statement } from '../warehouse/types.js';
import type { SortKey } from './cursor.js';
import { MAX_RANGE_DAYS, type ActionsQuery, type MetricsQuery, type PrioritiesQuery } from './params.js';
import type { IsoDate } from '../dates.js';

export const API_SQL = { metrics: '20_api_metrics.sql', priorities: '21_api_priorities.sql', actions: '22_api_actions.sql' } as const;

const dateOrNull = (d: IsoDate | null): Params[string] => (d === null ? null : sqlDate(d));

export class ApiSql {
  private readonly names: Record<string, string>;

  constructor(
    settings: Pick<Config, 'catalog' | 'schema'>,
    readonly dialect: Dialect,
  ) {
    this.names = { target: qualified(settings.catalog, settings.schema) };
    // A missing file fails at start-up.
    Object.values(API_SQL).forEach(sqlFile);
  }

  metrics(q: MetricsQuery): Statement {
    return this.stmt(API_SQL.metrics, {
      date_from: dateOrNull(q.from),
      date_to: dateOrNull(q.to),
      org: q.organization_id,
      loc: q.location_id,
      max_days: MAX_RANGE_DAYS,
    });
  }

  priorities(q: PrioritiesQuery): Statement {
    return this.stmt(API_SQL.priorities, { ref_date: dateOrNull(q.date), org: q.organization_id, loc: q.location_id });
  }

  /** One page after `after` (the first page without it); fetches one row more than the page to know if another follows. */
  actions(q: ActionsQuery, date: IsoDate | null, after: SortKey | undefined): Statement {
    return this.stmt(API_SQL.actions, {
      ref_date: dateOrNull(date),
      org: q.organization_id,
      loc: q.location_id,
      responsavel: q.responsavel,
      prioridade: q.prioridade,
      after_ordem: after?.ordem ?? null,
      after_atraso: after?.atraso ?? null,
      after_id: after?.actionId ?? null,
      fetch_rows: q.page_size + 1,
    });
  }

  private stmt(file: string, params: Params): Statement {
    return this.dialect.bind(fillTemplate(sqlFile(file), this.names), params);
  }
}
