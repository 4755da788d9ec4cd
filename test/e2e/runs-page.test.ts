/**
 * The /runs page in a real headless browser (Debian's chromium): today's run
 * with one task failing renders with the task's error, its CSS applies under
 * the page's CSP, and a task's link opens the job's page on Bull Board.
 * Skipped, saying so, where /usr/bin/chromium is not installed (CI installs
 * it with apt).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { planDailyRun } from '../../src/producer/scheduler.js';
import { jobIds } from '../../src/queue/jobs.js';
import { INJECTED_ERROR, failRefreshOf } from '../support/fail-table.js';
import { QUICK_ENV, startTestService, type TestService } from '../support/service.js';
import { DEMO_SOURCES } from '../support/sources.js';
import { waitFor } from '../support/wait.js';
import { parseIsoDate } from '../../src/dates.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM)
  console.warn(`runs-page.test: skipped: no browser at ${CHROMIUM} (install Debian's chromium: apt-get install chromium)`);

/** Today for the test service (TEST_NOW: 05:00 in São Paulo). */
const D = parseIsoDate('2026-11-29');
const FAILED_JOB = jobIds.refresh('crm_metrics_daily', D);

describe.skipIf(!HAVE_CHROMIUM)(`the /runs page in headless chromium (skipped without ${CHROMIUM})`, () => {
  let svc: TestService;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    svc = await startTestService({ sources: DEMO_SOURCES, wrap: failRefreshOf('crm_metrics_daily', { on: true }) });
    base = `http://127.0.0.1:${svc.service.port}`;
    await planDailyRun(svc.service.runtime, D);
    await waitFor("today's run to settle", async () => (await svc.service.runtime.state.run(D))?.outcome === 'failure');
    // Root in a container has no user namespace for chromium's sandbox.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.stop();
  });

  test("today's run renders with the failed task's error; its link opens the job on Bull Board", { timeout: 120_000 }, async () => {
    const context = await browser.newContext({ httpCredentials: { username: QUICK_ENV.BOARD_USER, password: QUICK_ENV.BOARD_PASSWORD } });
    const page = await context.newPage();
    const refused: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) refused.push(m.text());
    });
    const res = await page.goto(`${base}/runs`);
    expect(res?.status()).toBe(200);
    const run = page.locator('section.run', { has: page.locator('h2', { hasText: D }) });
    await expect.poll(() => run.count()).toBe(1);
    expect(await run.locator('.outcome').textContent()).toBe('failure');
    const failed = run.locator('li.task.failure', { has: page.locator('a.job', { hasText: 'refresh crm_metrics_daily' }) });
    expect(await failed.locator('.error').textContent()).toContain(INJECTED_ERROR);
    // The stylesheet applied (served by the page, allowed by its CSP): bars have a width, the failed run its colour.
    const box = await run.locator('li.task.success .bar').first().boundingBox();
    expect(box?.width).toBeGreaterThan(0);
    expect(refused).toEqual([]);

    await failed.locator('a.job').click();
    await page.waitForURL(`**/admin/queues/queue/refresh/${FAILED_JOB}`);
    // The board's own page: it loads its app and shows the job, failed, with the same reason.
    await page.getByText(FAILED_JOB).first().waitFor({ timeout: 60_000 });
    await page.getByText(INJECTED_ERROR).first().waitFor({ timeout: 60_000 });
    await context.close();
  });
});
