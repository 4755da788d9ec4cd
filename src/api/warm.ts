/**
 * Warm-up: when a refresh bumps a table's generation (StateStore publishes
 * it), load again at once the answers of that table this pod served lately
 * (its hot keys: the dashboards' filters hardly change from day to day), so
 * the first dashboard loads after the refresh are hits. A pod that served
 * nothing yet warms the unfiltered default answer. Every web pod hears the
 * bump; the cache's single flight makes it one warehouse query per key.
 * One key at a time: the refresh itself may still be running beside it.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { parseGenerationBump } from '../state/store.js';
import type { TableName } from '../tables/registry.js';
import type { HotKeys, Reload } from './hot-keys.js';

/** What is warmed: the hot keys the read cache remembered, or each table's default answer when it served none yet. */
export interface WarmSource {
  readonly hot: HotKeys;
  readonly defaults: Readonly<Record<TableName, Reload>>;
}

/** Load the table's hot keys again, one at a time, until `signal` aborts; returns how many failed. */
export async function warmTable(source: WarmSource, table: TableName, signal?: AbortSignal): Promise<number> {
  const recent = source.hot.recent(table);
  const jobs = recent.length > 0 ? recent : [source.defaults[table]];
  let failed = 0;
  for (const job of jobs) {
    if (signal?.aborted) break;
    await job().catch(() => failed++);
  }
  return failed;
}

/** A burst of bumps of one table (a run and its re-run) makes one warm-up: it starts once they pause this long. */
const WARM_DELAY_MS = 500;

/**
 * Subscribe `subscriber` (a connection of its own) to the bumps; resolves
 * once subscribed, with a stop function that ends the warm-ups under way.
 * Only a refresh of the newest date warms (a backfill of past days changes no
 * default answer, and would otherwise warm once per day it rebuilds); one
 * warm-up per table at a time, a bump during it makes one more after it.
 */
export interface Warmup {
  /** End the warm-ups under way. */
  stop(): Promise<void>;
  /** True when every bump up to these generations has been heard and no warm-up is pending or running. */
  settled(generations: Readonly<Record<string, number>>): boolean;
}

export async function subscribeWarmup(
  subscriber: Redis,
  channel: string,
  source: WarmSource,
  log: Logger,
  /** The generations at subscription time: bumps before it were never going to be heard. */
  current: () => Promise<Readonly<Record<string, number>>>,
): Promise<Warmup> {
  const stop = new AbortController();
  const timers = new Map<TableName, NodeJS.Timeout>();
  const running = new Map<TableName, Promise<void>>();
  const again = new Set<TableName>();
  const heard = new Map<string, number>();

  const run = (table: TableName): void => {
    if (stop.signal.aborted) return;
    if (running.has(table)) {
      again.add(table);
      return;
    }
    const started = performance.now();
    const warm = warmTable(source, table, stop.signal)
      .then(
        (failed) => log.debug({ table, failed, ms: Math.round(performance.now() - started) }, 'read API: warmed after refresh'),
        (err: unknown) => log.warn({ err, table }, 'read API: warm-up after refresh failed (the next read loads it)'),
      )
      .finally(() => {
        running.delete(table);
        if (again.delete(table)) run(table);
      });
    running.set(table, warm);
  };

  subscriber.on('message', (from: string, message: string) => {
    const bump = from === channel ? parseGenerationBump(message) : undefined;
    if (bump === undefined) return;
    const { table, kind, generation } = bump;
    heard.set(table, Math.max(heard.get(table) ?? 0, generation));
    if (kind === 'past' || stop.signal.aborted) return;
    clearTimeout(timers.get(table));
    const timer = setTimeout(() => {
      timers.delete(table);
      run(table);
    }, WARM_DELAY_MS);
    timer.unref();
    timers.set(table, timer);
  });
  await subscriber.subscribe(channel);
  for (const [table, g] of Object.entries(await current())) heard.set(table, Math.max(heard.get(table) ?? 0, g));
  return {
    stop: async () => {
      stop.abort();
      for (const timer of timers.values()) clearTimeout(timer);
      await Promise.all(running.values());
    },
    settled: (generations) =>
      timers.size === 0 && running.size === 0 && Object.entries(generations).every(([table, g]) => (heard.get(table) ?? 0) >= g),
  };
}
