/**
 * The operator page of runs (`/runs`, `/runs/<id>`): server-rendered HTML,
 * no script and no inline style (the page's CSP allows its own stylesheet
 * only). Every recorded value is escaped. Each table task links to its job
 * on Bull Board; a failed task shows its error. While a run is in progress
 * the page reloads itself (meta refresh). A paused schedule shows as a banner.
 */
import { jobIds } from '../queue/jobs.js';
import type { RunTask } from '../state/run-history.js';
import type { RunSummary } from '../state/run-list.js';
import type { SchedulePause } from '../state/store.js';
import { TABLES, isTableName } from '../tables/registry.js';
import { formatInstant } from '../text-table.js';

/** Seconds between reloads while a run is in progress. */
export const REFRESH_SECONDS = 10;

/** The page's Content-Security-Policy: nothing but its own stylesheet. */
export const PAGE_CSP = "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (v: string | number | null | undefined): string => String(v ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

export interface PageContext {
  /** Where Bull Board is mounted (`/admin/queues`). */
  readonly boardPath: string;
  readonly timeZone: string;
  /** The page's own path prefix (`/runs`). */
  readonly basePath: string;
}

/** The BullMQ job id of a recorded table task (a backfill chunk refreshes a snapshot table once per day). */
export function taskJobId(t: Pick<RunTask, 'task' | 'table' | 'date' | 'runId'>): string {
  if (!isTableName(t.table)) return '';
  if (t.task === 'retention') return jobIds.retention(t.table, t.runId);
  const id = jobIds.refresh(t.table, t.runId);
  return t.runId.startsWith('bf_') && TABLES[t.table].refreshMode === 'daily-snapshot' ? `${id}__${t.date}` : id;
}

/** Bull Board's page of one job: `<board>/queue/<queue>/<job id>`. */
export const jobHref = (ctx: PageContext, queue: string, jobId: string): string =>
  `${ctx.boardPath}/queue/${encodeURIComponent(queue)}/${encodeURIComponent(jobId)}`;

const secs = (s: number | null): string => (s === null ? '…' : `${s.toFixed(1)} s`);

function taskItem(t: RunTask, longest: number, ctx: PageContext): string {
  // Width in whole percent of the run's longest task (a class per percent: the CSP allows no inline style).
  const width = longest > 0 ? Math.max(1, Math.round((100 * t.seconds) / longest)) : 1;
  const attempts = t.attempts === undefined ? '' : ` · ${t.attempts} attempt${t.attempts === 1 ? '' : 's'}`;
  const retried = t.retriedBy ? ` · retried by ${esc(t.retriedBy)}` : '';
  const rows = t.task === 'refresh' ? t.rowsWritten : t.rowsDeleted;
  const label = `${esc(t.task)} ${esc(t.table)}${t.date !== t.runId ? ` ${esc(t.date)}` : ''}`;
  const count = rows === null || rows === undefined ? '' : ` · ${esc(rows)} rows`;
  return `<li class="task ${esc(t.outcome)}">
<a class="job" href="${esc(jobHref(ctx, t.task, taskJobId(t)))}">${label}</a>
<span class="track"><span class="bar w${width}"></span></span>
<span class="facts">${esc(t.outcome)} · ${esc(secs(t.seconds))}${count}${attempts}${retried}</span>
${t.error ? `<p class="error">${esc(t.error)}</p>` : ''}</li>`;
}

export function runSection(r: RunSummary, tasks: readonly RunTask[], ctx: PageContext): string {
  const longest = Math.max(0, ...tasks.map((t) => t.seconds));
  const trigger = r.trigger ? `${esc(r.trigger)}${r.operator ? ` by ${esc(r.operator)}` : ''}` : 'trigger not recorded';
  const revalidated = r.revalidated
    ? ` · validated again ` +
      `${esc(formatInstant(r.revalidated.at, ctx.timeZone, true))}${r.revalidated.by ? ` after a retry by ${esc(r.revalidated.by)}` : ''}`
    : '';
  const problems = (r.failed ?? []).map((p) => `<li>${esc(p)}</li>`).join('');
  const started = r.startedAt === undefined ? ' · not started' : ` · started ${esc(formatInstant(r.startedAt, ctx.timeZone, true))}`;
  const validation = jobHref(ctx, 'validation', jobIds.validation(r.runId));
  const href = esc(`${ctx.basePath}/${encodeURIComponent(r.runId)}`);
  const planned = esc(formatInstant(r.plannedAt, ctx.timeZone, true));
  const facts = `D ${esc(r.date)} · ${esc(r.kind)} · ${trigger} · planned ${planned}${started} · ${esc(secs(r.seconds))}${revalidated}`;
  const items = tasks.map((t) => taskItem(t, longest, ctx)).join('\n');
  const list = tasks.length > 0 ? `<ol class="tasks">\n${items}\n</ol>` : '<p class="none">no table task settled yet</p>';
  return `<section class="run ${esc(r.outcome)}">
<h2><a href="${href}">${esc(r.runId)}</a> <span class="outcome">${esc(r.outcome)}</span></h2>
<p class="meta">${facts} · <a href="${esc(validation)}">validation job</a></p>
${problems ? `<ul class="problems">${problems}</ul>` : ''}
${list}
</section>`;
}

/** A whole page: a title, the runs (each with its tasks), a note when there are none. */
/** The banner of a paused schedule: since when, by whom, why, and how to resume. */
export function pauseBanner(pause: SchedulePause, timeZone: string): string {
  const reason = pause.reason ? ` (${esc(pause.reason)})` : '';
  return (
    `<p class="paused">The schedule is paused since ${esc(formatInstant(pause.at, timeZone, true))} ` +
    `by ${esc(pause.by)}${reason}: no daily run is planned until <code>crm-materializer schedule ` +
    `resume</code>.</p>`
  );
}

export function runsPage(
  title: string,
  runs: readonly { run: RunSummary; tasks: readonly RunTask[] }[],
  ctx: PageContext,
  empty: string,
  pause?: SchedulePause,
): string {
  const active = runs.some((r) => r.run.outcome === 'running');
  const reloads = active ? ` A run is in progress: this page reloads every ${REFRESH_SECONDS} s.` : '';
  const banner = pause ? `\n${pauseBanner(pause, ctx.timeZone)}` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${active ? `<meta http-equiv="refresh" content="${REFRESH_SECONDS}">\n` : ''}<title>${esc(title)} · crm-materializer</title>
<link rel="stylesheet" href="${esc(`${ctx.basePath}/style.css`)}">
</head>
<body>
<header><h1>${esc(title)}</h1><nav><a href="${esc(ctx.basePath)}">runs</a> · <a href="${esc(ctx.boardPath)}">Bull Board</a></nav>
<p class="note">Times in ${esc(ctx.timeZone)}.${reloads}</p>${banner}</header>
<main>
${runs.length === 0 ? `<p class="none">${esc(empty)}</p>` : runs.map((r) => runSection(r.run, r.tasks, ctx)).join('\n')}
</main>
</body>
</html>
`;
}

/** The stylesheet, served beside the page (bars sized by a class per percent). */
export const RUNS_CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:960px;padding:0 16px;color:#1d2330}
h1{font-size:20px}h2{font-size:16px;margin:0 0 4px}a{color:#1f5fbf}
.note,.meta,.facts{color:#555}.paused{background:#fff4d6;border:1px solid #e0b84a;border-radius:4px;padding:8px 12px}
.run{border:1px solid #d5d9e0;border-left-width:6px;border-radius:4px;margin:12px 0;padding:8px 12px}
.run.success{border-left-color:#2e8540}.run.failure{border-left-color:#c62828}.run.running{border-left-color:#f0a500}
.outcome{font-size:12px;font-weight:normal;padding:1px 6px;border-radius:8px;background:#eef0f4}
.tasks{list-style:none;padding:0;margin:6px 0 0}.task{display:grid;grid-template-columns:minmax(220px,2fr) 3fr;gap:2px 12px;padding:3px 0}
.track{display:block;background:#eef0f4;height:10px;margin-top:5px}.bar{display:block;height:10px;background:#2e8540}
.task.failure .bar{background:#c62828}.facts{grid-column:2}
.error{grid-column:1/3;margin:2px 0;color:#c62828;white-space:pre-wrap;word-break:break-word}
.problems{color:#c62828;margin:4px 0}
${Array.from({ length: 100 }, (_, i) => `.w${i + 1}{width:${i + 1}%}`).join('')}
`;
