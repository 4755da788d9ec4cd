/** A listener that cannot bind, as one line naming the variable to change. */
import { UsageError } from '../errors.js';

/** The UsageError for a busy or unusable address (`variable` = the port's variable), or undefined for another failure. */
export function listenProblem(
  variable: 'PORT' | 'HEALTH_PORT',
  host: string,
  port: number,
  code: string | undefined,
): UsageError | undefined {
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE')
    return new UsageError(
      `${variable} ${port} on ${host} is already in use (${where}): stop the process using it or set ${variable} to a free port`,
    );
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES')
    return new UsageError(
      `cannot listen on ${where} (${code}): set HOST to an address of this machine (default ` +
        `127.0.0.1) and ${variable} to a free port above 1023`,
    );
  return undefined;
}
