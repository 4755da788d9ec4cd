/** `start`: the service in this process, until SIGTERM/SIGINT; with --demo, seeded data, made-up credentials and today's run followed. */
import { randomBytes } from 'node:crypto';
import { apiKeyHashes } from '../config/parsers.js';
import { loadConfig, type Config } from '../config/index.js';
import { todayIn } from '../clock.js';
import { hasDemoData } from '../demo/seed.js';
import { createLogger, type Logger } from '../log.js';
import { planDailyRun } from '../producer/scheduler.js';
import { startService, type Service } from '../service.js';
import type { Role } from '../service-roles.js';
import { seedWithProgress } from './demo.js';
import { withServices } from './services.js';
import { watchRun } from './watch.js';
import { defaultOperator } from './operator.js';
import { formatInstant } from '../text-table.js';
import { formatValidation } from '../tasks/report.js';
import type { WorkerRuntime } from '../workers/runtime.js';

type Out = (text: string) => void;

/** Runs until a stop signal; the exit code. */
export async function startCommand(roles: readonly Role[], opts: { demo?: boolean }, out: Out): Promise<number> {
  const demo = opts.demo ? await prepareDemo(loadConfig(), roles, out) : { config: loadConfig(), notes: [] };
  const { config } = demo;
  const log = createLogger(config.logLevel, process.stderr, config.logFormat);
  // Listen for the stop signal before anything starts: a SIGTERM during start-up stops cleanly too.
  const stopSignal = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const service = await startService(config, log, roles);
  // Credentials only once the address is ours: a busy port fails before any is printed.
  for (const note of demo.notes) out(note);
  const base = `http://${urlHost(service.host)}:${service.port}`;
  out(
    `crm-materializer is running: ${base}${roles.includes('web') ? '/admin/queues' : '/healthz'}  ` +
      `(metrics: /metrics, health: /healthz /readyz)`,
  );
  const watching = new AbortController();
  let reported: Promise<void> = Promise.resolve();
  if (opts.demo && roles.includes('scheduler')) {
    const planned = await planDemoRun(service, config, log);
    out(planned.message);
    if (planned.runId !== undefined) reported = reportWhenDone(service.runtime, planned.runId, out, watching.signal);
  }
  log.info({ signal: await stopSignal }, 'shutting down');
  watching.abort();
  await reported;
  await service.stop();
  return 0;
}

/** A bound address as it goes in a URL (IPv6 in brackets). */
function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * `start --demo`: today's run, told as one story: planned by the start-up
 * catch-up (today's tick had passed), planned now, or planned before this
 * start; none while the schedule is paused (an operator paused it on purpose).
 */
async function planDemoRun(service: Service, config: Config, log: Logger): Promise<{ runId?: string; message: string }> {
  const { runtime, caughtUp } = service;
  const today = todayIn(runtime.clock, config.scheduleTz);
  if (caughtUp?.added && caughtUp.date === today) {
    return {
      runId: caughtUp.runId,
      message: `today's run ${caughtUp.runId} is queued (today's scheduled time had passed when the scheduler started)`,
    };
  }
  const pause = await runtime.state.schedulePause();
  if (pause) {
    const since = `${formatInstant(pause.at, config.scheduleTz)} by ${pause.by}${pause.reason ? ` (${pause.reason})` : ''}`;
    return {
      message:
        `the schedule is paused (since ${since}): today's run is not planned; 'crm-materializer schedule ` +
        `resume' plans it, 'crm-materializer run' runs it now`,
    };
  }
  const planned = await planDailyRun({ config, flows: runtime.flows, state: runtime.state, log, clock: runtime.clock }, today, {
    trigger: 'manual',
    operator: defaultOperator(),
  });
  return {
    runId: planned.runId,
    message: planned.added
      ? `today's run ${planned.runId} is queued`
      : `today's run ${planned.runId} was planned before this start: following it`,
  };
}

/** `start --demo`: once today's run has settled, print its validation table (a newcomer sees the tables filled). */
async function reportWhenDone(rt: WorkerRuntime, runId: string, out: Out, signal: AbortSignal): Promise<void> {
  try {
    const result = await watchRun(rt, runId, () => undefined, 500, signal);
    if (signal.aborted) return;
    const last = await rt.state.currentValidation();
    if (last) out(`\n${formatValidation(last.report)}`);
    out(result.detail);
  } catch (err) {
    rt.log.warn({ err }, 'could not follow the demo run');
  }
}

/** `start --demo`: seed when empty; make up board credentials and a read API key for this run when none are set. */
async function prepareDemo(config: Config, roles: readonly Role[], out: Out): Promise<{ config: Config; notes: string[] }> {
  const notes: string[] = [];
  if (config.warehouse === 'duckdb' && roles.includes('worker')) {
    await withServices(
      async (s) => {
        if (!(await hasDemoData(s.warehouse, config.catalog, config.sourceSchema))) {
          out(`no source data in ${config.duckdbPath}: seeding the small demo data set`);
          await seedWithProgress(s, {});
        }
      },
      { create: true },
    );
  }
  if (!roles.includes('web')) return { config, notes };
  let demo = config;
  const { user, password, token, auth } = config.board;
  if (auth !== 'off' && !(user && password) && !token) {
    const generated = randomBytes(12).toString('base64url');
    notes.push(
      `Bull Board login for this run: user 'admin', password '${generated}' (set ` +
        `BOARD_USER/BOARD_PASSWORD or BOARD_TOKEN to choose your own)`,
    );
    demo = { ...demo, board: Object.freeze({ ...demo.board, user: 'admin', password: generated }) };
  }
  if (config.api.auth !== 'off' && config.api.keyHashes.length === 0 && config.api.jwksFile === undefined) {
    const key = randomBytes(24).toString('base64url');
    notes.push(`read API key for this run: '${key}' (header Authorization: Bearer <key>; set API_KEYS to choose your own)`);
    demo = { ...demo, api: Object.freeze({ ...demo.api, keyHashes: apiKeyHashes(key) }) };
  }
  return { config: Object.freeze(demo), notes };
}
