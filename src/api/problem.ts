/**
 * Every error the read API answers, as RFC 9457 problem details
 * (`application/problem+json`): `type`, `title`, `status`, `detail`, and
 * `parameter` when one query parameter is at fault. One helper for all of
 * them: bad parameters, authentication, rate limit, overload, unavailable,
 * wrong method, unknown path and bugs; the board's and the runs routes' refusals too.
 */
import type { Response } from 'express';
import type { Problem } from './schemas.js';

export const PROBLEM_TYPES = {
  400: ['bad-parameter', 'Bad parameter'],
  401: ['unauthenticated', 'Authentication required'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  406: ['not-acceptable', 'Not acceptable'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  429: ['rate-limited', 'Too many requests'],
  500: ['internal', 'Internal error'],
  503: ['unavailable', 'Service unavailable'],
} as const;
export type ProblemStatus = keyof typeof PROBLEM_TYPES;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const problemType = (status: ProblemStatus): string => `urn:crm-materializer:problem:${PROBLEM_TYPES[status][0]}`;

export interface ProblemExtras {
  /** The query parameter at fault (400). */
  readonly parameter?: string;
  /** Retry-After, in seconds (429, 503). */
  readonly retryAfterSeconds?: number;
  /** Other headers (WWW-Authenticate, Allow). */
  readonly headers?: Readonly<Record<string, string>>;
}

export function problem(status: ProblemStatus, detail: string, parameter?: string): Problem {
  return { type: problemType(status), title: PROBLEM_TYPES[status][1], status, detail, ...(parameter !== undefined ? { parameter } : {}) };
}

/** Answer with a problem: never cached by anyone, the same shape for every status. */
export function sendProblem(res: Response, status: ProblemStatus, detail: string, extras: ProblemExtras = {}): void {
  if (extras.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(extras.retryAfterSeconds));
  for (const [name, value] of Object.entries(extras.headers ?? {})) res.setHeader(name, value);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`);
  res.status(status).send(JSON.stringify(problem(status, detail, extras.parameter)));
}

/** The API cannot answer now: HTTP 503 with Retry-After (the warehouse failed with nothing cached, or too many uncached reads run). */
export class ApiUnavailableError extends Error {
  override name = 'ApiUnavailableError';
  readonly retryAfterSeconds: number;
  constructor(message: string, options: ErrorOptions & { retryAfterSeconds?: number } = {}) {
    super(message, options);
    this.retryAfterSeconds = options.retryAfterSeconds ?? 5;
  }
}
