/**
 * A cap on the read API's requests in flight in one process
 * (API_MAX_IN_FLIGHT): past it a request is refused at once with 503 and
 * Retry-After, before authentication, the rate limit, the cache or the
 * warehouse do any work for it. A burst (e.g. every answer invalidated by a
 * refresh running in the same process) then cannot pile up behind the
 * engine and hold the event loop that also answers /healthz and /metrics.
 */
import type { RequestHandler } from 'express';
import { ApiUnavailableError } from './problem.js';

/** Refused for load: worth retrying soon. */
const RETRY_AFTER_SECONDS = 1;

export interface InFlight {
  readonly handler: RequestHandler;
  /** Requests being served now. */
  current(): number;
}

/** 0 = no cap (still counts). */
export function inFlightCap(max: number): InFlight {
  let current = 0;
  const handler: RequestHandler = (_req, res, next) => {
    if (max > 0 && current >= max) {
      next(
        new ApiUnavailableError(
          `the read API is serving ${max} requests at once (API_MAX_IN_FLIGHT): retry after ${RETRY_AFTER_SECONDS} s`,
          { retryAfterSeconds: RETRY_AFTER_SECONDS },
        ),
      );
      return;
    }
    current += 1;
    // 'close' follows every response, answered or aborted by the client.
    res.once('close', () => (current -= 1));
    next();
  };
  return { handler, current: () => current };
}
