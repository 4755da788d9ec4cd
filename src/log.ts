/**
 * The one structured logger (pino, JSON lines on stderr so that a command's
 * own output on stdout stays clean). Child loggers carry queue, job, table
 * and date. Secrets are redacted by key wherever they appear.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = ['token', 'password', 'secret', 'clientSecret', 'authorization', '*.token', '*.password', '*.secret', '*.clientSecret', '*.authorization'];

export function createLogger(level = 'info', destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino({ level, base: { service: 'crm-materializer' }, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}
