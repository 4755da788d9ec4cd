/** LOG_FORMAT: JSON lines for collectors, readable lines for people; secrets redacted in both. */
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { createLogger, type LogFormat } from '../../src/log.js';

function logged(format: LogFormat, tty = false): string {
  const stream = Object.assign(new PassThrough(), { isTTY: tty });
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  const log = createLogger('info', stream, format);
  log.info({ table: 'crm_metrics_daily', date: '2026-11-29', token: 'abc', note: 'two words' }, 'refresh done');
  log.error({ err: new Error('boom') }, 'task failed');
  return text;
}

describe('LOG_FORMAT', () => {
  test('json: one JSON object a line', () => {
    const lines = logged('json')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'refresh done',
      table: 'crm_metrics_daily',
      token: '[redacted]',
      service: 'crm-materializer',
    });
    expect(lines[1]).toMatchObject({ level: 50, msg: 'task failed', err: { message: 'boom' } });
  });

  test('pretty (pino-pretty): time, level, message and fields on one line; the stack indented below; no colour off a terminal', () => {
    const text = logged('pretty');
    expect(text).toMatch(
      /^\[\d{2}:\d{2}:\d{2}\.\d{3}Z\] INFO: refresh done \{"table":"crm_metrics_daily","date":"2026-11-29","token":"\[redacted\]","note":"two words"\}$/m,
    );
    expect(text).toMatch(
      /^\[\d{2}:\d{2}:\d{2}\.\d{3}Z\] ERROR: task failed *\n {4}err: \{[\s\S]*"message": "boom"[\s\S]*Error: boom\n +at /m,
    );
    expect(text).not.toContain('\u001b[');
  });

  test('auto: pretty on a terminal (in colour), JSON otherwise', () => {
    const tty = logged('auto', true);
    expect(tty).toContain('\u001b[');
    expect(tty.replace(/\u001b\[\d+m/g, '')).toMatch(/^\[\S+Z\] INFO: refresh done/);
    expect(() => JSON.parse(logged('auto', false).split('\n')[0] ?? '') as unknown).not.toThrow();
  });
});
