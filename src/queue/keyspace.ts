/**
 * Every Redis key the service writes, besides BullMQ's own (BullMQ builds
 * those from QUEUE_PREFIX and each queue's name: `<prefix>:<queue>:…`). One
 * module, so the whole keyspace is read in one place and no two modules
 * spell a key differently.
 *
 * In the queues' Redis (REDIS_URL, never evicted):
 * - `<prefix>:state:…`: the recorded state (tables, runs, validation,
 *   scheduler, generations), read at scrape time and by the CLI;
 * - `<prefix>:lock:table:<table>`: one task per table at a time;
 * - `<prefix>:api:cursor_secret`: the read API's cursor HMAC secret.
 *
 * In the read cache's Redis (CACHE_REDIS_URL; the same one unless set):
 * - `<prefix>:api:v1:…`: cached answers, their stale copies, fill locks and
 *   the cache's budget;
 * - `<prefix>:api:ratelimit:<client>`: the rate limit's token buckets.
 */

/** Bump when the read API's answers change format, so a deploy never serves the old format from the cache. */
const ANSWER_FORMAT = 'v1';

export interface Keyspace {
  /** A table's recorded outcomes (hash: last_refresh, failed_<task>, latest_date…). */
  table(table: string): string;
  /** Run records by id (hash). */
  readonly runs: string;
  /** Run ids by planning time (zset): the history's order and pruning. */
  readonly runsIndex: string;
  /** Tracked runs in progress by planning time (zset). */
  readonly runsActive: string;
  /** When a worker first took one of a run's tasks (hash: run id → ms). */
  readonly runsStarted: string;
  /** The counter of a run id's forced re-runs. */
  runsForced(runId: string): string;
  /** Prefixes of the keys kept per run (`<prefix><run id>`), dropped with the run's record. */
  readonly perRunPrefixes: { readonly tasks: string; readonly doneMarkers: string };
  /** A run's settled table tasks (hash). */
  runTasks(runId: string): string;
  /** A run's done markers (hash, see state/done-markers.ts). */
  doneMarkers(runId: string): string;
  /** Board retries awaiting their job's settlement (hash: `<queue>|<job id>`). */
  readonly retries: string;
  /** The last and the current validation (hash). */
  readonly validation: string;
  /** The last successful source audit (hash). */
  readonly sourceAudit: string;
  /** The scheduler's dead-man switch and its pause (hash). */
  readonly scheduler: string;
  /** When the warehouse last answered (string, ms). */
  readonly warehouseOk: string;
  /** Each table's generation (hash): the read API's cache keys carry it. */
  readonly generations: string;
  /** Each table's newest refreshed reference date (hash). */
  readonly generationsNewestDate: string;
  /** The pub/sub channel a generation bump is announced on. */
  readonly generationChannel: string;
  /** The table's task lock (string: its holder's token). */
  tableLock(table: string): string;
  /** The read API's cursor secret (string, hex). */
  readonly cursorSecret: string;
  /** Where the read cache's keys start (`<prefix>:api:v1`): answers, stale copies, locks, budget. */
  readonly answers: string;
  /** A client's rate-limit bucket (hash). */
  rateLimit(client: string): string;
}

export function keyspace(prefix: string): Keyspace {
  const state = (...parts: string[]): string => [prefix, 'state', ...parts].join(':');
  const runs = state('runs');
  const perRunPrefixes = { tasks: `${runs}:tasks:`, doneMarkers: `${state('done')}:` };
  return {
    table: (table) => state('table', table),
    runs,
    runsIndex: `${runs}:index`,
    runsActive: `${runs}:active`,
    runsStarted: `${runs}:started`,
    runsForced: (runId) => `${runs}:forced:${runId}`,
    perRunPrefixes,
    runTasks: (runId) => perRunPrefixes.tasks + runId,
    doneMarkers: (runId) => perRunPrefixes.doneMarkers + runId,
    retries: state('retries'),
    validation: state('validation'),
    sourceAudit: state('source_audit'),
    scheduler: state('scheduler'),
    warehouseOk: state('warehouse_ok_ts'),
    generations: state('generation'),
    generationsNewestDate: state('generation', 'newest_date'),
    generationChannel: state('generation', 'bumped'),
    tableLock: (table) => `${prefix}:lock:table:${table}`,
    cursorSecret: `${prefix}:api:cursor_secret`,
    answers: `${prefix}:api:${ANSWER_FORMAT}`,
    rateLimit: (client) => `${prefix}:api:ratelimit:${client}`,
  };
}
