/**
 * The SQL that generates one chunk (a month) of demo source rows inside the
 * engine. A chunk's verifications are a deterministic function of the plan:
 * candidate slots per location-day are kept by a pseudo-random draw, then
 * numbered in time order from the running offset, so VERIFICATION_IDs (and
 * the ACTION_IDs derived from them) increase with the date and rows are
 * written in that order (zone maps can skip old row groups).
 *
 * Written for DuckDB (range(), xor(), to_seconds()).
 */
import type { SourceView } from '../tables/registry.js';
import type { Chunk, DemoPlan } from './plan.js';
import { randomUnit } from './random.js';
import { ACTION_TYPES, MIX, RESPONSIBLES } from './scales.js';

/** Independent random streams. */
const SALT = {
  activity: 1,
  opens: 2,
  openDay: 3,
  ncRate: 4,
  visit: 5,
  time: 6,
  noDate: 7,
  removed: 8,
  repeat: 9,
  skip: 10,
  unanswered: 11,
  nonConforming: 12,
  questionRepeat: 13,
  raise: 20,
  delay: 21,
  noDue: 22,
  due: 23,
  never: 24,
  close: 25,
  status: 26,
  closedAt: 27,
  anomaly: 28,
  noVerification: 29,
  responsible: 30,
  type: 31,
  actionRepeat: 32,
} as const;

/** Column DDL of each source view, types as in docs/data-contract.md (STRING is DuckDB's VARCHAR). */
export const SOURCE_COLUMNS: Readonly<Record<SourceView, string>> = {
  vw_crm_verification: 'VERIFICATION_ID STRING, ORGANIZATION_ID STRING, LOCATION_ID STRING, VERIFICATION_DATE TIMESTAMP',
  vw_crm_verification_question: 'VERIFICATION_ID STRING, QUESTION_ID STRING, IS_CRITICAL_CONTROL BOOLEAN, IS_NON_CONFORMING BOOLEAN',
  vw_crm_action:
    'ACTION_ID STRING, ORGANIZATION_ID STRING, LOCATION_ID STRING, VERIFICATION_ID STRING, RESPONSIBLE STRING, ACTION_TYPE STRING, ' +
    'STATUS STRING, DUE_DATE DATE, CREATED_AT TIMESTAMP, CLOSED_AT TIMESTAMP',
};

export class ChunkSql {
  constructor(private readonly plan: DemoPlan) {}

  /** Verifications the chunk generates (including removed ones): the next chunk's id offset grows by this. */
  count(chunk: Chunk): string {
    return `WITH ${this.slots(chunk)}\nSELECT COUNT(*) AS n FROM slot`;
  }

  verifications(table: string, chunk: Chunk, offset: number): string {
    const u = this.u.bind(this);
    return `INSERT INTO ${table}
WITH ${this.slots(chunk)},
${this.verified(offset)}
SELECT ${id('V', 'v.vnum')}, ${org('v.org')}, ${loc('v.l')},
  CASE WHEN ${u(SALT.noDate, 'v.vnum')} < ${MIX.verificationNoDate} THEN NULL ELSE v.day_ts + to_seconds(v.secs) END
FROM ver AS v CROSS JOIN (VALUES (0), (1)) AS r(k)
WHERE ${u(SALT.removed, 'v.vnum')} >= ${MIX.verificationRemoved}
  AND (r.k = 0 OR ${u(SALT.repeat, 'v.vnum')} < ${MIX.verificationRepeat})
ORDER BY v.vnum, r.k`;
  }

  questions(table: string, chunk: Chunk, offset: number): string {
    const half = MIX.questionRepeat + MIX.questionConflict / 2;
    return `INSERT INTO ${table}
WITH ${this.slots(chunk)},
${this.verified(offset)},
${this.answers()},
rep AS (SELECT *, ${this.u(SALT.questionRepeat, 'vnum', 'j')} AS u_rep FROM ans)
SELECT ${id('V', 'a.vnum')},
  'Q' || lpad(CAST(a.org + 1 AS VARCHAR), 3, '0') || '-' || lpad(CAST(a.j + 1 AS VARCHAR), 2, '0'),
  a.critical,
  CASE WHEN r.k = 0 OR a.u_rep < ${MIX.questionRepeat} THEN a.nc
       WHEN a.nc IS NULL OR a.nc THEN FALSE
       WHEN a.u_rep < ${half} THEN TRUE END
FROM rep AS a CROSS JOIN (VALUES (0), (1)) AS r(k)
WHERE r.k = 0 OR a.u_rep < ${MIX.questionRepeat + MIX.questionConflict}
ORDER BY a.vnum, a.j, r.k`;
  }

  actions(table: string, chunk: Chunk, offset: number): string {
    const u = (salt: number): string => this.u(salt, 'vnum', 'j');
    const lastDay = this.plan.days - 1;
    return `INSERT INTO ${table}
WITH ${this.slots(chunk)},
${this.verified(offset)},
${this.answers()},
raised AS (
  SELECT vnum, j, di, l, org, day_ts, day_ts + to_seconds(secs + CAST(floor(${u(SALT.delay)} * 10800) AS BIGINT)) AS created_at,
    CASE WHEN ${u(SALT.never)} < ${MIX.neverClosed} THEN NULL
         ELSE CAST(floor(${u(SALT.close)} * ${u(SALT.close)} * ${MIX.closeSpreadDays}) AS BIGINT) END AS close_days,
    ${u(SALT.noDue)} AS u_no_due, ${u(SALT.due)} AS u_due, ${u(SALT.status)} AS u_status, ${u(SALT.closedAt)} AS u_closed_at,
    ${u(SALT.anomaly)} AS u_anomaly, ${u(SALT.noVerification)} AS u_no_verification, ${u(SALT.responsible)} AS u_responsible,
    ${u(SALT.type)} AS u_type, ${u(SALT.actionRepeat)} AS u_repeat
  FROM ans
  WHERE nc AND ${u(SALT.raise)} < CASE WHEN critical THEN ${MIX.actionCritical} ELSE ${MIX.actionOther} END
),
shaped AS (
  SELECT *, close_days IS NOT NULL AND di + close_days <= ${lastDay} AS closed FROM raised
)
SELECT ${id('A', 'a.vnum')} || lpad(CAST(a.j + 1 AS VARCHAR), 2, '0'), ${org('a.org')}, ${loc('a.l')},
  CASE WHEN a.u_no_verification < ${MIX.actionWithoutVerification} THEN NULL ELSE ${id('V', 'a.vnum')} END,
  CASE WHEN a.u_responsible < 0.05 THEN NULL
       ELSE ${pick(RESPONSIBLES, `(a.l * 3 + CAST(floor(a.u_responsible * 3) AS BIGINT)) % ${RESPONSIBLES.length}`)} END,
  CASE WHEN a.u_type < 0.03 THEN NULL ELSE ${pick(ACTION_TYPES, `CAST(floor(a.u_type * ${ACTION_TYPES.length}) AS BIGINT)`)} END,
  CASE WHEN a.closed AND a.u_status < ${MIX.cancelled} THEN 'CANCELADA'
       WHEN a.closed THEN 'CONCLUIDA'
       WHEN a.u_status < ${MIX.inProgress} THEN 'EM_ANDAMENTO'
       ELSE 'ABERTA' END,
  CASE WHEN a.u_no_due >= ${MIX.actionNoDueDate}
       THEN CAST(a.day_ts AS DATE) + CAST(${MIX.minDueDays} + floor(pow(a.u_due, 1.5) * ${MIX.dueSpreadDays}) AS INTEGER) END,
  a.created_at,
  CASE WHEN a.closed AND a.u_anomaly >= ${MIX.closedWithoutClosedAt}
       THEN greatest(a.created_at + to_seconds(600),
                     a.day_ts + to_seconds(86400 * a.close_days + 28800 + CAST(floor(a.u_closed_at * 39600) AS BIGINT))) END
FROM shaped AS a CROSS JOIN (VALUES (0), (1)) AS r(k)
WHERE r.k = 0 OR a.u_repeat < ${MIX.actionRepeat}
ORDER BY a.vnum, a.j, r.k`;
  }

  private u(salt: number, ...terms: string[]): string {
    return randomUnit(this.plan.seed, salt, terms);
  }

  /** Locations and the kept verification slots of the chunk's days. */
  private slots(chunk: Chunk): string {
    const { spec, days, startWeekday, orgBoundaries } = this.plan;
    const u = this.u.bind(this);
    const orgCase =
      orgBoundaries.length === 0
        ? '0'
        : `CASE ${orgBoundaries.map((b, i) => `WHEN t.l < ${b} THEN ${i}`).join(' ')} ELSE ${orgBoundaries.length} END`;
    const weekday = `CASE (${startWeekday} + d.di) % 7 ${MIX.weekdayFactor.map((f, i) => `WHEN ${i} THEN ${f}`).join(' ')} END`;
    const perSlot = spec.visitsPerWeekday / MIX.slotsPerDay;
    return `loc AS (
  SELECT t.l, ${orgCase} AS org,
    ${MIX.activityBase} + ${u(SALT.activity, 't.l')} AS activity,
    CASE WHEN ${u(SALT.opens, 't.l')} < ${MIX.lateOpening}
      THEN CAST(floor(${u(SALT.openDay, 't.l')} * ${Math.floor(days * 0.8)}) AS BIGINT) ELSE 0 END AS opened,
    ${MIX.nonConformingFrom} + ${MIX.nonConformingSpread} * ${u(SALT.ncRate, 't.l')} AS nc_rate
  FROM range(${spec.locations}) AS t(l)
),
slot AS (
  SELECT d.di, c.l, c.org, c.nc_rate, s.s
  FROM range(${chunk.first}, ${chunk.last + 1}) AS d(di) CROSS JOIN loc AS c CROSS JOIN range(${MIX.slotsPerDay}) AS s(s)
  WHERE d.di >= c.opened
    AND ${u(SALT.visit, 'd.di', 'c.l', 's.s')} < ${weekday} * c.activity * ${perSlot}
)`;
  }

  /** The chunk's verifications, numbered in time order from `offset` + 1; visits between 07:00 and 20:00. */
  private verified(offset: number): string {
    return `timed AS (
  SELECT *, 25200 + CAST(floor(${this.u(SALT.time, 'di', 'l', 's')} * 46800) AS BIGINT) AS secs FROM slot
),
ver AS (
  SELECT di, l, org, nc_rate, secs,
    ROW_NUMBER() OVER (ORDER BY di, secs, l, s) + ${offset} AS vnum,
    CAST(DATE '${this.plan.startDate}' + CAST(di AS INTEGER) AS TIMESTAMP) AS day_ts
  FROM timed
)`;
  }

  /** One row per asked question with its answer (nc NULL = unanswered); 1 in 5 questions is a critical control. */
  private answers(): string {
    const { checklists } = this.plan;
    const size = `CASE v.org ${checklists.map((n, i) => `WHEN ${i} THEN ${n}`).join(' ')} END`;
    const skip = this.u(SALT.skip, 'v.vnum');
    const skipped =
      `CASE WHEN ${skip} < ${1 - MIX.checklistSkip} THEN 0 ELSE 1 + CAST(floor((${skip} - ` +
      `${1 - MIX.checklistSkip}) * ${3 / MIX.checklistSkip}) AS BIGINT) END`;
    return `asked AS (
  SELECT v.vnum, v.di, v.l, v.org, v.nc_rate, v.secs, v.day_ts, q.j, ((q.j * 7 + v.org * 3) % 5 = 0) AS critical
  FROM ver AS v CROSS JOIN range(${Math.max(...checklists)}) AS q(j)
  WHERE q.j < ${size} - ${skipped}
),
ans AS (
  SELECT *,
    CASE WHEN ${this.u(SALT.unanswered, 'vnum', 'j')} < ${MIX.unanswered} THEN NULL
         ELSE ${this.u(SALT.nonConforming, 'vnum', 'j')} < nc_rate * CASE WHEN critical THEN ${MIX.criticalFailFactor} ELSE 1 END END AS nc
  FROM asked
)`;
  }
}

const id = (prefix: string, n: string): string => `'${prefix}' || lpad(CAST(${n} AS VARCHAR), 9, '0')`;
const org = (i: string): string => `'ORG' || lpad(CAST(${i} + 1 AS VARCHAR), 3, '0')`;
const loc = (i: string): string => `'LOC' || lpad(CAST(${i} + 1 AS VARCHAR), 5, '0')`;

function pick(values: readonly string[], index: string): string {
  return `CASE ${index} ${values.map((v, i) => `WHEN ${i} THEN '${v.replaceAll("'", "''")}'`).join(' ')} END`;
}
