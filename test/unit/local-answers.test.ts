/** The read cache's first tier on its own, with a clock the test moves: what is trusted, kept and evicted. */
import { describe, expect, test } from 'vitest';
import { LocalAnswers, TRUST_MS } from '../../src/api/local-answers.js';

const body = (n: number, fill = 'x'): Buffer => Buffer.from(fill.repeat(n));

function tier(maxBytes = 1000): { local: LocalAnswers; clock: { ms: number } } {
  const clock = { ms: 0 };
  return { local: new LocalAnswers(maxBytes, () => clock.ms), clock };
}

describe('first tier: generations', () => {
  test('trusted only while subscribed, learned in the current subscription, and for TRUST_MS', () => {
    const { local, clock } = tier();
    const before = local.ticket();
    expect(before).toBeUndefined();
    local.learned(before, ['crm_metrics_daily'], [3]);
    expect(local.current(['crm_metrics_daily'])).toBeUndefined(); // not subscribed: nothing learned

    local.subscribed();
    const ticket = local.ticket();
    local.learned(ticket, ['crm_metrics_daily', 'crm_actions_open_snapshot'], [3, 7]);
    expect(local.current(['crm_metrics_daily', 'crm_actions_open_snapshot'])).toBe('3.7');
    expect(local.current(['crm_action_priorities_daily'])).toBeUndefined(); // never learned

    clock.ms += TRUST_MS + 1;
    expect(local.current(['crm_metrics_daily'])).toBeUndefined(); // not confirmed for too long

    // A lookup sent before a reconnection teaches nothing after it.
    const old = local.ticket();
    local.unsubscribed();
    local.subscribed();
    local.learned(old, ['crm_metrics_daily'], [3]);
    expect(local.current(['crm_metrics_daily'])).toBeUndefined();
  });

  test('a bump heard moves a generation at once; a late reply never moves it back', () => {
    const { local } = tier();
    local.subscribed();
    const ticket = local.ticket();
    local.heard('crm_metrics_daily', 5);
    local.learned(ticket, ['crm_metrics_daily'], [4]);
    expect(local.current(['crm_metrics_daily'])).toBe('5');
    local.heard('crm_metrics_daily', Number('not a number'));
    expect(local.current(['crm_metrics_daily'])).toBe('5');
    local.unsubscribed();
    local.heard('crm_metrics_daily', 9);
    expect(local.current(['crm_metrics_daily'])).toBeUndefined();
  });
});

describe('first tier: answers', () => {
  test('kept for their time to live, within the byte budget, least recently used evicted first', () => {
    const { local, clock } = tier(1000);
    local.set('a', body(100, 'a'), 5000);
    local.set('b', body(100, 'b'), 5000);
    expect(local.get('a')?.toString()).toBe('a'.repeat(100)); // a is now the most recently used
    for (let i = 0; i < 9; i++) local.set(`k${i}`, body(100), 5000); // 1,100 bytes in all: the least recently used goes
    expect(local.size()).toEqual({ answers: 10, bytes: 1000 });
    expect(local.get('b')).toBeUndefined();
    expect(local.get('a')).toBeDefined();
    expect(local.get('k8')).toBeDefined();

    clock.ms += 5001;
    expect(local.get('k8')).toBeUndefined(); // expired with Redis's time to live
    expect(local.size().answers).toBeLessThan(10);
  });

  test('an answer over an eighth of the budget, or without a time to live, is not kept; 0 bytes = off', () => {
    const { local } = tier(800);
    local.set('big', body(101), 5000);
    local.set('gone', body(10), 0);
    expect([local.get('big'), local.get('gone')]).toEqual([undefined, undefined]);
    const off = new LocalAnswers(0);
    off.set('a', body(1), 5000);
    expect(off.size()).toEqual({ answers: 0, bytes: 0 });
  });
});
