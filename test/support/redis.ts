/**
 * Real Redis for tests: a unique key prefix per test, every key of it
 * removed afterwards, and a check that no connection of that prefix is left
 * open (a leaked worker or client fails the test).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Every key matching `pattern` (SCAN, never KEYS), sorted. */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    out.push(...found);
  } while (cursor !== '0');
  return out.sort();
}

export function uniquePrefix(): string {
  return `{crmtest-${randomBytes(5).toString('hex')}}`;
}

export async function openConnections(prefix: string): Promise<string[]> {
  const admin = new Redis(REDIS_URL, { lazyConnect: true });
  await admin.connect();
  try {
    const list = (await admin.client('LIST')) as string;
    return list.split('\n').filter((l) => l.includes(`name=crm-materializer:${prefix}`));
  } finally {
    admin.disconnect();
  }
}

/** Delete every key of the prefix and fail if its connections are still open. */
export async function cleanupPrefix(prefix: string): Promise<void> {
  const admin = new Redis(REDIS_URL, { lazyConnect: true });
  await admin.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== '0');
  } finally {
    admin.disconnect();
  }
  // Closed connections can take a moment to leave CLIENT LIST.
  for (let i = 0; i < 20; i++) {
    if ((await openConnections(prefix)).length === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`leaked Redis connections for ${prefix}:\n${(await openConnections(prefix)).join('\n')}`);
}
