/**
 * `crm-materializer start`: the roles of one codebase in one process or
 * many — scheduler, worker, web. Graceful shutdown on SIGTERM/SIGINT: stop
 * taking jobs, let active ones finish (SHUTDOWN_GRACE_MS), cancel and requeue
 * the rest, close Redis and the engine.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { createApi, type Api } from './api/index.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config/index.js';
import type { Logger } from './log.js';
import { createMetrics } from './metrics/index.js';
import type { PlannedRun } from './producer/planner.js';
import { catchUp, scheduleProcessor, upsertSchedule, type PlanDeps } from './producer/scheduler.js';
import { closeRedis, connectReads, connectRedis, type ReadConnections } from './queue/redis.js';
import { RedisHealth } from './queue/redis-health.js';
import { DoneMarkers } from './state/done-markers.js';
import { closeQueues, createFlowProducer, createQueues } from './queue/queues.js';
import { StateStore } from './state/store.js';
import { SqlBuilder } from './tables/statements.js';
import { createApp } from './web/app.js';
import { listenProblem } from './web/listen-errors.js';
import { startLiveness, type Liveness } from './web/liveness.js';
import { createWarehouse, dialectOf } from './warehouse/index.js';
import { prepareDuckDbFolder } from './warehouse/duckdb-path.js';
import { engineThreadsBesideApi } from './warehouse/duckdb-threads.js';
import { WorkerPool } from './workers/factory.js';
import { startWorkerRole } from './workers/index.js';
import { TableLocks, tableLockTtlMs } from './state/table-lock.js';
import type { WorkerRuntime } from './workers/runtime.js';
import type { Warehouse } from './warehouse/types.js';
import type { Role } from './service-roles.js';

export { ROLES, type Role } from './service-roles.js';

export interface Service {
  /** The address and port actually bound. */
  readonly host: string;
  readonly port: number;
  /** The liveness thread's port (HEALTH_PORT), when one listens. */
  readonly healthPort?: number;
  readonly runtime: WorkerRuntime;
  /** The run the scheduler's start-up catch-up planned (today's tick had passed unplanned), if any. */
  readonly caughtUp?: PlannedRun;
  /** The read API (web role). */
  readonly api?: Api;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /** The engine to use instead of the configured one (tests inject faults around a real engine). */
  readonly warehouse?: Warehouse;
  /** What "now" and "today" are (default: the system clock). */
  readonly clock?: Clock;
}

/**
 * How this process's engine shares the embedded DuckDB file with its roles:
 * beside the read API, DuckDB leaves a core to the event loop (answers,
 * probes); a web-only process holds the file only while a read runs, so the
 * worker process can open it for its refreshes.
 */
export function engineOptions(config: Config, roles: readonly Role[]): { threads?: number; releaseAfterEachStatement: boolean } {
  if (config.warehouse !== 'duckdb') return { releaseAfterEachStatement: false };
  const web = roles.includes('web');
  const worker = roles.includes('worker');
  return { ...(web && worker ? { threads: engineThreadsBesideApi() } : {}), releaseAfterEachStatement: web && !worker };
}

export async function startService(config: Config, log: Logger, roles: readonly Role[], options: ServiceOptions = {}): Promise<Service> {
  // What can fail on a wiring gap (a missing SQL file, an engine's settings) fails before any connection opens.
  const sql = new SqlBuilder(config, dialectOf(config));
  const clock = options.clock ?? systemClock;
  // An unusable DuckDB path is a start-up error (one line), not a task failing later.
  if (config.warehouse === 'duckdb' && options.warehouse === undefined) prepareDuckDbFolder(config.duckdbPath);
  const engineUse = engineOptions(config, roles);
  const engine = options.warehouse ?? (await createWarehouse(config, { log, ...engineUse }));
  const redis = await connectRedis(config.redisUrl, `${config.queuePrefix}:service`);
  const queues = createQueues(config, redis);
  const flows = createFlowProducer(config, redis);
  const state = new StateStore(redis, config.queuePrefix, config.runsKeepDays);
  const metrics = createMetrics(config, { queues, state, clock, shared: roles.includes('web') });
  const warehouse = metrics.instrument(engine, { scans: roles.includes('worker') });
  const health = new RedisHealth(redis, config.redisUrl, log).start();
  for (const [name, q] of Object.entries(queues)) q.on('error', health.onError({ queue: name }, 'queue error'));
  flows.on('error', health.onError({}, 'flow producer error'));
  const done = new DoneMarkers(redis, config.queuePrefix, config.runsKeepDays);
  const locks = new TableLocks(redis, config.queuePrefix, tableLockTtlMs(config));
  const rt: WorkerRuntime = {
    config,
    log,
    redis,
    warehouse,
    sql,
    state,
    queues,
    flows,
    locks,
    done,
    health,
    observer: metrics.observer,
    clock,
  };
  const stops: (() => Promise<void>)[] = [];
  let address = { host: config.host, port: 0 };
  let api: Api | undefined;
  let reads: ReadConnections | undefined;
  let caughtUp: PlannedRun | undefined;
  let liveness: Liveness | undefined;

  try {
    if (roles.includes('web')) {
      reads = await connectReads(config);
      // A web-only process on DuckDB does not warm up: the worker process holds the file right after its refresh.
      const warmUp = !engineUse.releaseAfterEachStatement;
      api = await createApi({ config, log, warehouse, clock, metrics: metrics.api, warmUp, redis: reads });
    }
    // Every role answers probes and serves its own metrics; the web role adds the board and the shared metrics.
    const app = createApp({ config, log, redis, health, queues, state, metrics, board: roles.includes('web'), api: api?.router });
    const server = await listen(app as RequestListener, config.port, config.host);
    const bound = server.address() as { address: string; port: number };
    address = { host: bound.address, port: bound.port };
    log.info({ ...address, board: roles.includes('web') }, 'listening');
    stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    if (config.healthPort !== undefined) {
      liveness = await startLiveness({ host: config.host, port: config.healthPort, maxStallMs: config.healthMaxStallMs, log });
      log.info({ host: address.host, port: liveness.port }, 'liveness listening (HEALTH_PORT, a thread of its own)');
    }
    if (roles.includes('worker')) {
      const workers = await startWorkerRole(rt);
      stops.push(() => workers.stop());
    }
    if (roles.includes('scheduler')) {
      const deps: PlanDeps = { config, flows, state, log, clock };
      await upsertSchedule(queues, config, state, log, clock);
      const pool = new WorkerPool(rt);
      pool.add('schedule', 1, scheduleProcessor(deps));
      caughtUp = await catchUp(deps);
      stops.push(() => pool.close(config.jobs.shutdownGraceMs));
    }
  } catch (e) {
    await closeAll();
    throw e;
  }

  async function closeAll(): Promise<void> {
    // Connections close on purpose from here: not an outage.
    health.stop();
    // Web first (no new board actions), then workers (they finish or requeue), then connections.
    for (const stop of stops) await stop().catch((err: unknown) => log.error({ err }, 'error while stopping'));
    await api?.close();
    await reads?.close();
    await flows.close();
    await closeQueues(queues);
    await warehouse.close();
    await closeRedis(redis);
    // Liveness goes last: a shutdown waiting for its workers is not a dead process.
    await liveness?.stop();
  }

  log.info({ roles, engine: config.warehouse }, 'service started');
  return { ...address, healthPort: liveness?.port, runtime: rt, caughtUp, api, stop: closeAll };
}

/** Listen, or fail in one line naming the variable to change (a busy or unusable address). */
function listen(handler: RequestListener, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.listen(port, host, () => resolve(server));
    server.once('error', (e: NodeJS.ErrnoException) => reject(listenProblem('PORT', host, port, e.code) ?? e));
  });
}
