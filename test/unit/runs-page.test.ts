/** The /runs page's renderer (pure): every value escaped, bars by duration, job links, a reload while a run is in progress. */
import { describe, expect, test } from 'vitest';
import type { RunTask } from '../../src/state/run-history.js';
import type { RunSummary } from '../../src/state/run-list.js';
import { runsPage, taskJobId, type PageContext } from '../../src/web/runs-page.js';
import { parseIsoDate } from '../../src/dates.js';

const ctx: PageContext = { boardPath: '/admin/queues', timeZone: 'America/Sao_Paulo', basePath: '/runs' };
const AT = Date.parse('2026-11-29T09:00:00Z');
const run = (over: Partial<RunSummary> = {}): RunSummary => ({
  runId: '2026-11-29',
  date: parseIsoDate('2026-11-29'),
  plannedAt: AT,
  kind: 'daily',
  outcome: 'success',
  seconds: 12,
  trigger: 'scheduled',
  ...over,
});
const task = (over: Partial<RunTask> = {}): RunTask => ({
  task: 'refresh',
  table: 'crm_metrics_daily',
  date: parseIsoDate('2026-11-29'),
  runId: '2026-11-29',
  outcome: 'success',
  seconds: 2,
  rowsWritten: 5,
  finishedAt: AT,
  attempts: 1,
  ...over,
});

describe('runs page', () => {
  test('escapes every recorded value (operator, error, problems)', () => {
    const html = runsPage(
      'Runs',
      [
        {
          run: run({ outcome: 'failure', operator: '<img src=x onerror=alert(1)>', failed: ['"><script>x</script>'] }),
          tasks: [task({ outcome: 'failure', error: "<b>boom</b> & 'quotes'", retriedBy: '<i>' })],
        },
      ],
      ctx,
      '',
    );
    expect(html).not.toMatch(/<img|<script|<b>|<i>/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;b&gt;boom&lt;/b&gt; &amp; &#39;quotes&#39;');
    expect(html).toContain('&quot;&gt;&lt;script&gt;x&lt;/script&gt;');
  });

  test('bars in whole percent of the longest task; each task links to its job on the board', () => {
    const html = runsPage(
      'Runs',
      [{ run: run(), tasks: [task({ seconds: 4 }), task({ task: 'retention', seconds: 1, rowsWritten: null, rowsDeleted: 0 })] }],
      ctx,
      '',
    );
    expect(html).toContain('class="bar w100"');
    expect(html).toContain('class="bar w25"');
    expect(html).toContain('href="/admin/queues/queue/refresh/refresh__crm_metrics_daily__2026-11-29"');
    expect(html).toContain('href="/admin/queues/queue/retention/retention__crm_metrics_daily__2026-11-29"');
    expect(html).toContain('href="/admin/queues/queue/validation/validation__2026-11-29"');
    // A forced run's '#' is escaped in the link.
    expect(runsPage('Runs', [{ run: run({ runId: '2026-11-29#2' }), tasks: [task({ runId: '2026-11-29#2' })] }], ctx, '')).toContain(
      'refresh__crm_metrics_daily__2026-11-29%232',
    );
  });

  test('says when the run started (a worker took its first task), or that it has not', () => {
    expect(runsPage('Runs', [{ run: run({ startedAt: AT + 90_000 }), tasks: [] }], ctx, '')).toContain('· started 2026-11-29 06:01');
    expect(runsPage('Runs', [{ run: run({ outcome: 'running', seconds: null }), tasks: [] }], ctx, '')).toContain('· not started');
  });

  test('reloads itself only while a run is in progress', () => {
    expect(runsPage('Runs', [{ run: run({ outcome: 'running', seconds: null }), tasks: [] }], ctx, '')).toContain(
      '<meta http-equiv="refresh" content="10">',
    );
    expect(runsPage('Runs', [{ run: run(), tasks: [] }], ctx, '')).not.toContain('http-equiv="refresh"');
    expect(runsPage('Runs', [], ctx, 'no runs recorded')).toContain('no runs recorded');
  });

  test('a paused schedule shows as a banner (escaped) with how to resume; none when running', () => {
    const html = runsPage('Runs', [], ctx, 'none', { at: AT, by: 'jane', reason: 'source <migration>' });
    expect(html).toContain('<p class="paused">The schedule is paused since 2026-11-29 06:00');
    expect(html).toContain('by jane (source &lt;migration&gt;)');
    expect(html).toContain('<code>crm-materializer schedule resume</code>');
    expect(runsPage('Runs', [], ctx, 'none')).not.toContain('class="paused"');
  });

  test("a backfill chunk's snapshot refresh has a job per day; its rolling-window refresh one", () => {
    expect(
      taskJobId({
        task: 'refresh',
        table: 'crm_actions_open_snapshot',
        date: parseIsoDate('2026-10-11'),
        runId: 'bf_2026-10-10_2026-10-12',
      }),
    ).toBe('refresh__crm_actions_open_snapshot__bf_2026-10-10_2026-10-12__2026-10-11');
    expect(
      taskJobId({ task: 'refresh', table: 'crm_metrics_daily', date: parseIsoDate('2026-10-12'), runId: 'bf_2026-10-10_2026-10-12' }),
    ).toBe('refresh__crm_metrics_daily__bf_2026-10-10_2026-10-12');
  });
});
