/**
 * The open-actions listing's keyset cursor: the last row's sort key (and the
 * snapshot date it belongs to), as base64url JSON followed by an HMAC, so a
 * cursor that was altered or made up is refused with 400. The HMAC secret is
 * made once per deployment and kept in Redis, so every web pod accepts the
 * cursors of the others.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { parseIsoDate, type IsoDate } from '../dates.js';
import { ParamError } from './params.js';
import { ApiUnavailableError } from './problem.js';

/** Sort key of a row: category order, dias_atraso (NULL as the lowest value), action_id. */
export interface SortKey {
  readonly date: IsoDate;
  readonly ordem: number;
  readonly atraso: number;
  readonly actionId: string;
}

const INT_MIN = -2_147_483_648;
const INT_MAX = 2_147_483_647;
const SIG_BYTES = 16;

export class CursorCodec {
  private secret: Promise<Buffer> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly secretKey: string,
  ) {}

  async encode(key: SortKey): Promise<string> {
    const payload = Buffer.from(JSON.stringify([key.date, key.ordem, key.atraso, key.actionId])).toString('base64url');
    return `${payload}.${(await this.sign(payload)).toString('base64url')}`;
  }

  /** The sort key, or a ParamError('cursor') for anything this API did not issue. */
  async decode(cursor: string): Promise<SortKey> {
    const bad = (): ParamError => new ParamError('cursor', 'cursor is not one this API returned: start again without cursor');
    const [payload, sig, ...rest] = cursor.split('.');
    if (!payload || !sig || rest.length > 0) throw bad();
    const given = Buffer.from(sig, 'base64url');
    const expected = await this.sign(payload);
    // Canonical encoding only: another spelling of the same bytes is not what this API issued.
    if (given.toString('base64url') !== sig || given.length !== expected.length || !timingSafeEqual(given, expected)) throw bad();
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw bad();
    }
    if (!Array.isArray(value) || value.length !== 4) throw bad();
    const [date, ordem, atraso, actionId] = value as unknown[];
    const int = (n: unknown, min: number, max: number): n is number => Number.isInteger(n) && (n as number) >= min && (n as number) <= max;
    if (
      typeof date !== 'string' ||
      !int(ordem, 0, 8) ||
      !int(atraso, INT_MIN, INT_MAX) ||
      typeof actionId !== 'string' ||
      actionId.length > 512
    )
      throw bad();
    let day: IsoDate;
    try {
      day = parseIsoDate(date);
    } catch {
      throw bad();
    }
    return { date: day, ordem, atraso, actionId };
  }

  private async sign(payload: string): Promise<Buffer> {
    return createHmac('sha256', await this.key())
      .update(payload)
      .digest()
      .subarray(0, SIG_BYTES);
  }

  /** The deployment's secret: created by the first pod that needs it (SET NX), then read by all. */
  private key(): Promise<Buffer> {
    this.secret ??= (async () => {
      await this.redis.set(this.secretKey, randomBytes(32).toString('hex'), 'NX');
      const hex = await this.redis.get(this.secretKey);
      if (hex === null) throw new Error('the cursor secret vanished from Redis');
      return Buffer.from(hex, 'hex');
    })().catch((e: unknown) => {
      this.secret = undefined;
      throw new ApiUnavailableError('the cursor secret is in Redis, which did not answer: try again shortly', { cause: e });
    });
    return this.secret;
  }
}
