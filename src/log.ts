/**
 * The one structured logger (pino, on stderr so that a command's own output
 * on stdout stays clean): JSON lines, or readable lines for a person at a
 * terminal (LOG_FORMAT). Child loggers carry queue, job, table and date.
 * Secrets are redacted by key wherever they appear.
 */
import { pino, type Logger } from 'pino';
import { prettyDestination } from './log-pretty.js';

export type { Logger };

export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
/** `auto`: pretty on a terminal, JSON otherwise. */
export type LogFormat = (typeof LOG_FORMATS)[number];

const REDACT = [
  'token',
  'password',
  'secret',
  'clientSecret',
  'authorization',
  '*.token',
  '*.password',
  '*.secret',
  '*.clientSecret',
  '*.authorization',
];

export function createLogger(
  level = 'info',
  destination: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
  format: LogFormat = 'auto',
): Logger {
  const pretty = format === 'pretty' || (format === 'auto' && destination.isTTY === true);
  return pino(
    { level, base: { service: 'crm-materializer' }, redact: { paths: REDACT, censor: '[redacted]' } },
    pretty ? prettyDestination(destination) : destination,
  );
}
