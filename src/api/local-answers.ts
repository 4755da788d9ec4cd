/**
 * The read cache's first tier: the answers this web process served lately,
 * in its own memory (API_LOCAL_CACHE_MAX_BYTES, least recently used evicted
 * first), in front of Redis. A hit here costs no Redis round trip.
 *
 * An answer's key carries its tables' generations (cache.ts), so the only
 * question is whether this process knows the current generations. It does
 * while it listens to the bumps (the generations channel, on a subscriber
 * connection): a generation is trusted when it was learned (from a Redis
 * lookup's reply, or from a bump heard) during the current subscription, and
 * for at most TRUST_MS; past that, or while the subscriber is not
 * subscribed, the next read asks Redis again and learns them anew. A bump
 * heard moves the generation at once, so the next read misses here and looks
 * up the new key. Generations only grow (HINCRBY), so a late reply never
 * moves one back.
 */
import type { Redis } from 'ioredis';
import { parseGenerationBump } from '../state/store.js';
import type { TableName } from '../tables/registry.js';

/** How long a learned generation is trusted without being confirmed by Redis (a safety net behind the bumps heard). */
export const TRUST_MS = 10_000;

interface Known {
  readonly value: number;
  readonly at: number;
}

export class LocalAnswers {
  private listening = false;
  /** Moves on every change of subscription: a lookup sent in an earlier one teaches nothing. */
  private epoch = 0;
  private readonly generations = new Map<string, Known>();
  private readonly answers = new Map<string, { readonly body: Buffer; readonly until: number }>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Subscribed: bumps are heard from now on; what was known before may have missed one. */
  subscribed(): void {
    this.listening = true;
    this.epoch += 1;
    this.generations.clear();
  }

  /** Not subscribed (the connection dropped, or is reconnecting): nothing is trusted until subscribed again. */
  unsubscribed(): void {
    this.listening = false;
    this.epoch += 1;
    this.generations.clear();
  }

  /** Taken before a Redis lookup and handed back with its reply to `learned`; undefined while not subscribed. */
  ticket(): number | undefined {
    return this.listening ? this.epoch : undefined;
  }

  /** A bump heard on the generations channel. */
  heard(table: TableName, generation: number): void {
    if (this.listening && Number.isFinite(generation)) this.learn(table, generation);
  }

  /** The generations a Redis lookup (sent with `ticket`) returned for `tables`, in their order. */
  learned(ticket: number | undefined, tables: readonly TableName[], generations: readonly number[]): void {
    if (!this.listening || ticket !== this.epoch) return;
    tables.forEach((t, i) => this.learn(t, generations[i] ?? 0));
  }

  /** The tables' current generations, joined as in a cache key, when every one is known and trusted; otherwise undefined. */
  current(tables: readonly TableName[]): string | undefined {
    if (!this.listening) return undefined;
    const now = this.now();
    const values: number[] = [];
    for (const t of tables) {
      const known = this.generations.get(t);
      if (known === undefined || now - known.at > TRUST_MS) return undefined;
      values.push(known.value);
    }
    return values.join('.');
  }

  /** The answer stored under `key` and not expired, made the most recently used. */
  get(key: string): Buffer | undefined {
    const entry = this.answers.get(key);
    if (entry === undefined) return undefined;
    this.drop(key);
    if (entry.until <= this.now()) return undefined;
    this.answers.set(key, entry);
    this.bytes += entry.body.length;
    return entry.body;
  }

  /**
   * Keep an answer for `ttlMs` (what Redis keeps it for: CACHE_TTL_SECONDS
   * holds here too); not one over an eighth of the budget, so a few large
   * answers do not push out every small one.
   */
  set(key: string, body: Buffer, ttlMs: number): void {
    if (this.maxBytes <= 0 || ttlMs <= 0 || body.length > this.maxBytes / 8) return;
    this.drop(key);
    this.answers.set(key, { body, until: this.now() + ttlMs });
    this.bytes += body.length;
    for (const oldest of this.answers.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(oldest);
    }
  }

  /** Answers and bytes held (for tests and the log). */
  size(): { answers: number; bytes: number } {
    return { answers: this.answers.size, bytes: this.bytes };
  }

  private drop(key: string): void {
    const entry = this.answers.get(key);
    if (entry === undefined) return;
    this.answers.delete(key);
    this.bytes -= entry.body.length;
  }

  private learn(table: string, generation: number): void {
    const value = Math.max(this.generations.get(table)?.value ?? 0, generation);
    this.generations.set(table, { value, at: this.now() });
  }
}

/**
 * Keep `local` in step with `subscriber`'s subscription to the generations
 * channel: trusted only while subscribed (again after each reconnection,
 * which ioredis makes by itself), moved by every bump heard.
 */
export async function followBumps(subscriber: Redis, channel: string, local: LocalAnswers): Promise<void> {
  subscriber.on('message', (from: string, message: string) => {
    const bump = from === channel ? parseGenerationBump(message) : undefined;
    if (bump !== undefined) local.heard(bump.table, bump.generation);
  });
  subscriber.on('close', () => local.unsubscribed());
  subscriber.on('ready', () => {
    // ioredis resubscribes on reconnection; subscribing again confirms it before anything is trusted.
    subscriber.subscribe(channel).then(
      () => local.subscribed(),
      () => local.unsubscribed(),
    );
  });
  await subscriber.subscribe(channel);
  local.subscribed();
}
