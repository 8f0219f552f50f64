/**
 * Console at scale, in Chromium: with 10,000 jobs and a run of 1,000,000 log
 * lines, the first render of the job list and of the log view, and frame
 * times while scrolling each.
 */
import { chromium } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM_ARGS, findChromium } from '../../e2e/browser';
import { Engine } from '../../electron/engine/engine';
import { JOB_DEFAULTS } from '../../shared/model/job';
import { startServer } from '../../electron/server/server';
import { percentile, quick, report, round, tempDir } from '../lib';

const ROOT = join(import.meta.dirname, '..', '..');
const JOBS = 10_000;
const LINES = quick ? 200_000 : 1_000_000;
/** How long each list is scrolled, frame by frame. */
const SCROLL_MS = quick ? 1500 : 3000;
const ctx = { actor: 'bench', role: 'superadmin' as const };

if (!existsSync(join(ROOT, 'out', 'renderer', 'index.html'))) {
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: ROOT, stdio: 'inherit' });
}

const tmp = tempDir();
const engine = Engine.open({ dataDir: tmp.dir, onError: (e) => console.error(e) });
const jobs = Array.from({ length: JOBS }, (_, i) => ({
  ...JOB_DEFAULTS,
  name: `job ${String(i).padStart(5, '0')}`,
  group: `group ${i % 25}`,
  description: `Job number ${i}`,
  script: `echo ${i}`,
  user: 'svc',
  schedule: i % 2 ? ({ kind: 'interval', seconds: 300 } as const) : ({ kind: 'cron', expression: '0 30 2 * * *', timezone: 'UTC' } as const),
  misfire: 'skip' as const,
  archived: false,
}));
await engine.handlers['jobs.import']({ document: { format: 'jobdeck-export', version: 1, exportedAt: new Date().toISOString(), jobs } }, ctx);
await engine.handlers['scheduler.pause']({}, ctx);
const flood = await engine.handlers['jobs.create'](
  {
    name: 'flood',
    script: `awk 'BEGIN { for (i = 1; i <= ${LINES}; i++) printf "%08d \\033[3%dmcolour\\033[0m %062d\\n", i, i % 7 + 1, 0 }'`,
    schedule: { kind: 'manual' },
  },
  ctx,
);
const run = await engine.waitForRun((await engine.handlers['runs.trigger']({ jobId: flood.id }, ctx)).id);
const { token } = await engine.handlers['users.add']({ name: 'bench', role: 'superadmin' }, ctx);
const server = await startServer({ engine, port: 0, rendererDir: join(ROOT, 'out', 'renderer') });

const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
// The measuring code runs as page text, which the console's strict CSP would refuse.
const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true })).newPage();
await page.request.post(`${server.url}/api/session`, { data: { token } });
// Record, in the page, when the first row of a list appears.
await page.addInitScript(`new MutationObserver(() => {
  if (!window.__jobsAt && document.querySelector('[data-job]')) window.__jobsAt = performance.now();
  if (!window.__logAt && document.querySelector('.log-line[data-seq]')) window.__logAt = performance.now();
}).observe(document, { subtree: true, childList: true });`);

/**
 * Scrolls an element frame by frame for a while; returns the frame intervals.
 * Written as page source text: the bundler's helpers do not exist in the page.
 */
const SCROLL_FRAMES = `(async ({ selector, stepPx, ms }) => new Promise((resolve) => {
  const el = document.querySelector(selector);
  const frames = [];
  let last = performance.now();
  const end = last + ms;
  let direction = 1;
  function tick(now) {
    frames.push(now - last);
    last = now;
    if (el.scrollTop + el.clientHeight >= el.scrollHeight - 2) direction = -1;
    if (el.scrollTop <= 0) direction = 1;
    el.scrollTop += direction * stepPx;
    if (now < end) requestAnimationFrame(tick);
    else resolve(frames.slice(2));
  }
  requestAnimationFrame(tick);
}))`;

async function scrollFrames(selector: string, stepPx: number, ms: number): Promise<number[]> {
  return page.evaluate(`${SCROLL_FRAMES}(${JSON.stringify({ selector, stepPx, ms })})`) as Promise<number[]>;
}

await page.goto(`${server.url}/#/jobs`);
await page.waitForFunction('window.__jobsAt > 0', null, { timeout: 30_000 });
const jobsFirstMs = (await page.evaluate('window.__jobsAt')) as number;
if (process.env.BENCH_DEBUG) console.error('JOBS', await page.evaluate(`JSON.stringify(performance.getEntriesByType('resource').map(e => [e.name.replace(location.origin, ''), Math.round(e.startTime), Math.round(e.duration), Math.round(e.responseStart - e.startTime)]))`));
await page.waitForTimeout(500);
const jobFrames = await scrollFrames('[data-testid="jobs-scroller"]', 400, SCROLL_MS);

// A fresh page load for the log view (not a hash change from the list).
await page.goto('about:blank');
await page.goto(`${server.url}/#/runs/${run.id}`);
await page.waitForFunction('window.__logAt > 0', null, { timeout: 30_000 });
const logFirstMs = (await page.evaluate('window.__logAt')) as number;
if (process.env.BENCH_DEBUG) console.error(await page.evaluate(`JSON.stringify(performance.getEntriesByType('resource').map(e => [e.name.replace(location.origin, ''), Math.round(e.startTime), Math.round(e.duration), e.transferSize]))`));
await page.waitForTimeout(500);
// Long jumps through the log (each frame lands on lines not yet fetched).
const logFrames = await scrollFrames('[data-testid="log-view"]', 40_000, SCROLL_MS);
const rowsInDom = await page.locator('.log-line').count();

await browser.close();
await server.close(0);
tmp.remove();

const maxJob = Math.max(...jobFrames);
const maxLog = Math.max(...logFrames);
report({
  scenario: 'console',
  jobs: JOBS,
  logLines: LINES,
  jobListFirstRenderMs: round(jobsFirstMs),
  logViewFirstRenderMs: round(logFirstMs),
  jobListScrollFrameMs: { p50: round(percentile(jobFrames, 50)), p99: round(percentile(jobFrames, 99)), max: round(maxJob), frames: jobFrames.length },
  logScrollFrameMs: { p50: round(percentile(logFrames, 50)), p99: round(percentile(logFrames, 99)), max: round(maxLog), frames: logFrames.length },
  logRowsInDom: rowsInDom,
  pass: jobsFirstMs <= 1000 && logFirstMs <= 1000 && maxJob <= 50 && maxLog <= 50,
  target: 'first render <= 1 s; no frame over 50 ms while scrolling',
});
