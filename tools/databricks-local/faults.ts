/**
 * Programmable faults. Each rule applies to the next `times` matching calls
 * (default 1; `Infinity` for all), in the order rules were added.
 */

/** A Thrift method name (OpenSession, ExecuteStatement, GetOperationStatus, …) or `*` for any. */
export type MethodMatch = string;
export type StatementMatch = RegExp | string;

export interface HttpErrorFault {
  readonly method: MethodMatch;
  /** e.g. 401, 403, 429, 500, 503. */
  readonly status: number;
  readonly times?: number;
  /** Sent as `Retry-After` (seconds); the driver uses it as its minimum backoff. */
  readonly retryAfterSeconds?: number;
  readonly body?: string;
}

export interface HangFault {
  readonly method: MethodMatch;
  readonly times?: number;
}

export interface SlowStatementFault {
  readonly match: StatementMatch;
  /** Delay before the statement runs; `Infinity` holds it until released or cancelled. */
  readonly delayMs: number;
  readonly times?: number;
}

export interface StatementErrorFault {
  readonly match: StatementMatch;
  readonly sqlState: string;
  readonly message: string;
  readonly times?: number;
}

/** A hung call: `hit` resolves when a request is being held; `release()` lets held requests through. */
export interface HangHandle {
  readonly hit: Promise<void>;
  release(): void;
}

/** A slowed statement: `release()` ends the delay of statements held by this rule. */
export interface SlowHandle {
  readonly hit: Promise<void>;
  release(): void;
}

export type HoldOutcome = 'released' | 'closed';

interface Counted {
  remaining: number;
}

interface HangRule extends Counted {
  readonly method: MethodMatch;
  readonly waiters: Array<(outcome: HoldOutcome) => void>;
  released: boolean;
  onHit: () => void;
}

interface SlowRule extends Counted {
  readonly fault: SlowStatementFault;
  readonly waiters: Array<() => void>;
  released: boolean;
  onHit: () => void;
}

const methodMatches = (rule: MethodMatch, method: string): boolean => rule === '*' || rule === method;
const statementMatches = (rule: StatementMatch, statement: string): boolean =>
  typeof rule === 'string' ? statement.includes(rule) : rule.test(statement);

function take<R extends Counted>(rules: R[], matches: (rule: R) => boolean): R | undefined {
  const rule = rules.find((r) => r.remaining > 0 && matches(r));
  if (rule) rule.remaining -= 1;
  return rule;
}

function signal(): { promise: Promise<void>; fire: () => void } {
  let fire: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { promise, fire };
}

export class Faults {
  private readonly httpErrors: Array<HttpErrorFault & Counted> = [];
  private readonly hangs: HangRule[] = [];
  private readonly slows: SlowRule[] = [];
  private readonly errors: Array<StatementErrorFault & Counted> = [];

  /** Answer the next matching call(s) with an HTTP error status instead of processing them. */
  httpError(fault: HttpErrorFault): void {
    this.httpErrors.push({ ...fault, remaining: fault.times ?? 1 });
  }

  /** Hold the next matching call(s) without answering until `release()` or close. */
  hang(fault: HangFault): HangHandle {
    const hit = signal();
    const rule: HangRule = { method: fault.method, remaining: fault.times ?? 1, waiters: [], released: false, onHit: hit.fire };
    this.hangs.push(rule);
    return {
      hit: hit.promise,
      release: () => {
        rule.released = true;
        rule.remaining = 0;
        for (const wake of rule.waiters.splice(0)) wake('released');
      },
    };
  }

  /** Delay matching statements before they run (they stay RUNNING); a cancel ends the delay. */
  slowStatement(fault: SlowStatementFault): SlowHandle {
    const hit = signal();
    const rule: SlowRule = { fault, remaining: fault.times ?? 1, waiters: [], released: false, onHit: hit.fire };
    this.slows.push(rule);
    return {
      hit: hit.promise,
      release: () => {
        rule.released = true;
        for (const wake of rule.waiters.splice(0)) wake();
      },
    };
  }

  /** Fail matching statements with ERROR_STATE, the given SQLSTATE and message (nothing runs). */
  statementError(fault: StatementErrorFault): void {
    this.errors.push({ ...fault, remaining: fault.times ?? 1 });
  }

  /** Drop every rule; held calls and statements are released. */
  clear(): void {
    this.httpErrors.length = 0;
    this.errors.length = 0;
    for (const rule of this.hangs.splice(0)) for (const wake of rule.waiters.splice(0)) wake('released');
    for (const rule of this.slows.splice(0)) for (const wake of rule.waiters.splice(0)) wake();
  }

  // ---- used by the endpoint ----

  takeHttpError(method: string): HttpErrorFault | undefined {
    return take(this.httpErrors, (r) => methodMatches(r.method, method));
  }

  /** A promise to wait on when the call must hang, else undefined. */
  takeHang(method: string): Promise<HoldOutcome> | undefined {
    const rule = take(this.hangs, (r) => !r.released && methodMatches(r.method, method));
    if (!rule) return undefined;
    const held = new Promise<HoldOutcome>((resolve) => rule.waiters.push(resolve));
    rule.onHit();
    return held;
  }

  takeSlow(statement: string): { delayMs: number; released: Promise<void> } | undefined {
    const rule = take(this.slows, (r) => statementMatches(r.fault.match, statement));
    if (!rule) return undefined;
    const released = rule.released ? Promise.resolve() : new Promise<void>((resolve) => rule.waiters.push(resolve));
    rule.onHit();
    return { delayMs: rule.fault.delayMs, released };
  }

  takeStatementError(statement: string): StatementErrorFault | undefined {
    return take(this.errors, (r) => statementMatches(r.match, statement));
  }

  /** On close: every held call is dropped. */
  closeAll(): void {
    for (const rule of this.hangs) for (const wake of rule.waiters.splice(0)) wake('closed');
    for (const rule of this.slows) for (const wake of rule.waiters.splice(0)) wake();
  }
}
