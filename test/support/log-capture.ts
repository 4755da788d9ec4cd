/** A JSON logger whose lines a test reads back: all of them, or those of one message. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log.js';

export interface CapturedLog {
  /** Every line, parsed, in order. */
  readonly lines: Record<string, unknown>[];
  /** The lines whose `msg` is `msg` (or matches it). */
  readonly byMsg: (msg: string | RegExp) => Record<string, unknown>[];
  readonly log: Logger;
}

export function captureLog(level = 'info'): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const byMsg = (msg: string | RegExp): Record<string, unknown>[] =>
    lines.filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg))));
  return { lines, byMsg, log: createLogger(level, sink, 'json') };
}
