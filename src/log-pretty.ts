/**
 * LOG_FORMAT=pretty: pino's JSON lines made readable for a person at a
 * terminal by pino-pretty, one line per entry (`[12:00:01.250Z] INFO: schedule
 * paused {"operator":"alice",…}`), an error's stack below it, in colour on a
 * terminal. Formatted in the logging call itself (pino-pretty's formatter, not
 * its worker-thread transport), so a command that exits at once loses no
 * line. JSON stays the format for anything that collects logs.
 */
import { prettyFactory } from 'pino-pretty';

/** A pino destination writing pretty lines to `out`. */
export function prettyDestination(out: NodeJS.WritableStream & { isTTY?: boolean }): { write(line: string): boolean } {
  const pretty = prettyFactory({
    colorize: out.isTTY === true,
    singleLine: true,
    translateTime: 'UTC:HH:MM:ss.l"Z"',
    ignore: 'pid,hostname,service',
  });
  return { write: (line) => out.write(pretty(line)) };
}
