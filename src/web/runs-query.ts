/** Query parameters of `GET /api/v1/runs` and the run id of `GET /api/v1/runs/<id>`: a bad one is a 400 naming it. */
import { ParamError } from '../api/params.js';
import { DEFAULT_RUNS_LIMIT, MAX_RUNS_LIMIT, RUN_ID, RUNS_PARAMS } from '../api/runs-schemas.js';

const ALLOWED = Object.keys(RUNS_PARAMS);

export interface RunsQuery {
  readonly date?: string;
  readonly limit: number;
}

function single(query: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ParamError(name, `${name} must be given once, as a plain value`);
  return v;
}

export function runsQuery(query: Readonly<Record<string, unknown>>): RunsQuery {
  for (const name of Object.keys(query)) {
    if (!ALLOWED.includes(name)) throw new ParamError(name, `unknown parameter ${name}: this endpoint accepts ${ALLOWED.join(', ')}`);
  }
  const date = single(query, 'date');
  if (date !== undefined && !RUNS_PARAMS.date.safeParse(date).success)
    throw new ParamError('date', 'date must be a real calendar date as YYYY-MM-DD, e.g. 2026-11-29');
  const limit = single(query, 'limit');
  if (limit !== undefined && !RUNS_PARAMS.limit.safeParse(limit).success) {
    throw new ParamError('limit', `limit must be a whole number from 1 to ${MAX_RUNS_LIMIT}, e.g. limit=20`);
  }
  return { ...(date ? { date } : {}), limit: limit === undefined ? DEFAULT_RUNS_LIMIT : Number(limit) };
}

/** A run id as the service makes them: `2026-11-29`, `2026-11-29#2` (`%23` in a URL), `bf_2026-01-01_2026-01-30`. */
export function parseRunId(raw: string | undefined): string {
  if (raw === undefined || !RUN_ID.safeParse(raw).success)
    throw new ParamError('id', "id must be a run id of 1-80 letters, digits, _, - or # (as listed by GET /api/v1/runs; '#' written %23)");
  return raw;
}
