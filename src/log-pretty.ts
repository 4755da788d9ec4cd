/**
 * LOG_FORMAT=pretty: pino's JSON lines made readable for a person at a
 * terminal, one line per entry (`12:00:01.250Z INFO  schedule paused
 * operator=alice reason="source migration"`), an error's stack indented
 * below it. JSON stays the format for anything that collects logs.
 */
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every line has (shown in the prefix, or not at all). */
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service', 'err']);

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** One pino JSON line as a readable line (the input unchanged if it is not JSON). */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) + 'Z' : '';
  const level = (LEVELS[Number(entry.level)] ?? String(entry.level)).padEnd(5);
  const fields = Object.entries(entry).filter(([k, v]) => !OMIT.has(k) && v !== undefined).map(([k, v]) => `${k}=${value(v)}`);
  const err = entry.err as { type?: string; message?: string; stack?: string } | undefined;
  const stack = err ? `\n    ${(err.stack ?? `${err.type ?? 'Error'}: ${err.message ?? ''}`).split('\n').join('\n    ')}` : '';
  return `${[time, level, typeof entry.msg === 'string' ? entry.msg : '', ...fields].filter(Boolean).join(' ')}${stack}\n`;
}

/** A pino destination writing pretty lines to `out`. */
export function prettyDestination(out: NodeJS.WritableStream): { write(line: string): boolean } {
  return { write: (line) => out.write(prettyLine(line)) };
}
