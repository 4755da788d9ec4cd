/** Plain-text output: tables, instants in a time zone, lines cut to a width. */

type Cell = string | number | boolean | null | undefined;

/** A table; with `maxWidth`, the last column (the long free text, e.g. an error) is cut to fit, then any line still too long. */
export function textTable(headers: readonly string[], rows: readonly (readonly Cell[])[], maxWidth?: number): string {
  let text = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c).replace(/\s+/g, ' '))));
  if (maxWidth !== undefined && headers.length > 0) {
    const last = headers.length - 1;
    const before = headers.slice(0, last).reduce((n, h, i) => n + Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)) + 2, 0);
    const room = Math.max(headers[last]?.length ?? 0, 12, maxWidth - before);
    text = text.map((r) => r.map((c, i) => (i === last ? truncate(c, room) : c)));
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => {
    const text = cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
    return maxWidth === undefined ? text : truncate(text, maxWidth);
  };
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n');
}

/** An instant's wall-clock fields in `timeZone` and its UTC offset (`-03:00`). */
function zoned(at: Date | number, timeZone: string): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'offset', string> {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    })
      .formatToParts(new Date(at))
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : (parts.timeZoneName ?? '').replace('GMT', '');
  return {
    year: parts.year ?? '',
    month: parts.month ?? '',
    day: parts.day ?? '',
    hour: parts.hour ?? '',
    minute: parts.minute ?? '',
    second: parts.second ?? '',
    offset,
  };
}

/** An instant as local time in `timeZone` with its UTC offset: 2026-11-29 06:00:00 -03:00 (without seconds when `short`). */
export function formatInstant(at: Date | number, timeZone: string, short = false): string {
  const z = zoned(at, timeZone);
  return `${z.year}-${z.month}-${z.day} ${z.hour}:${z.minute}${short ? '' : `:${z.second}`} ${z.offset}`;
}

/** An instant as RFC 3339 in `timeZone`'s local time with its offset (for JSON): 2026-11-29T06:00:00-03:00. */
export function isoInstant(at: Date | number, timeZone: string): string {
  const z = zoned(at, timeZone);
  return `${z.year}-${z.month}-${z.day}T${z.hour}:${z.minute}:${z.second}${z.offset}`;
}

/** At most `width` characters, '…' marking a cut. */
export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** The width to fit output to: the terminal's, else COLUMNS, else 120. */
export function outputWidth(stream: { columns?: number; isTTY?: boolean } = process.stdout): number {
  if (stream.isTTY && stream.columns) return stream.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 20 ? env : 120;
}
