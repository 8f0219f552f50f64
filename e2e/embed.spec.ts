/**
 * `jobdeck/react` in a host app of another origin, in Chromium against a
 * real `jobdeck serve` that allows that origin (JOBDECK_ALLOWED_ORIGINS, as
 * `--allow-origin`): the host app (e2e/embedHost, bundled here with esbuild
 * against the built dist/react/jobdeck-react.js) is served by a loopback
 * static server on its own port; <Jobify> shows the component, swaps in the
 * progression while a real run of a real job goes (a workflow whose tasks
 * sleep; a script reporting ::progress), follows it through a dropped
 * connection (cut by a TCP door between browser and server), and gives the
 * component back when the run ends.
 */
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import type { Page } from '@playwright/test';
import { serverAllowsOrigin, startDoor, type Door } from './embedDoor';
import { expect, ROOT, screenshot, test, type Jobdeck } from './fixtures';

const BUNDLE = join(ROOT, 'dist', 'react', 'jobdeck-react.js');
const HOST_SRC = join(ROOT, 'e2e', 'embedHost');
const HOST_OUT = join(ROOT, 'test-results', 'embed-host');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

let host: Server;
let hostUrl: string;

test.beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` first (it builds jobdeck/react).`);
  // The package's own entry point resolves to the built file.
  expect(createRequire(import.meta.url).resolve('jobdeck/react')).toBe(BUNDLE);
  mkdirSync(HOST_OUT, { recursive: true });
  await build({
    entryPoints: [join(HOST_SRC, 'main.tsx')],
    bundle: true,
    format: 'esm',
    jsx: 'automatic',
    outfile: join(HOST_OUT, 'main.js'),
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
    plugins: [
      {
        // The host imports the source for its types; it gets the built package file, as an app would.
        name: 'built-package',
        setup(b) {
          b.onResolve({ filter: /renderer\/embed\/index$/ }, () => ({ path: BUNDLE }));
        },
      },
    ],
  });
  host = createServer((req, res) => {
    const name = (req.url ?? '/').split('?')[0] === '/' ? 'index.html' : (req.url ?? '').split('?')[0]!.slice(1);
    const file = ['index.html', 'host.css'].includes(name) ? join(HOST_SRC, name) : join(HOST_OUT, name);
    if (!/^[\w.-]+$/.test(name) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  const address = host.address();
  hostUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  // Each test's `jobdeck serve` (fixtures.ts) inherits this: it lets the host app's origin in.
  process.env.JOBDECK_ALLOWED_ORIGINS = hostUrl;
});

test.afterAll(async () => {
  delete process.env.JOBDECK_ALLOWED_ORIGINS;
  await new Promise<void>((resolve) => (host ? host.close(() => resolve()) : resolve()));
});

/** The server as the host page reaches it: through a door that can cut the connection; the server itself lets the origin in. */
async function apiDoor(jobdeck: Jobdeck): Promise<Door> {
  expect(await serverAllowsOrigin(jobdeck.url, hostUrl, jobdeck.tokens.viewer), `jobdeck serve lets ${hostUrl} in (CORS, subprotocol token)`).toBe(true);
  return startDoor(jobdeck.url);
}

const open = (page: Page, door: Door, token: string, jobId: number) =>
  page.goto(`${hostUrl}/?server=${encodeURIComponent(door.url)}&token=${encodeURIComponent(token)}&job=${jobId}`);

const task = (page: Page, path: string) => page.getByTestId('progression').locator(`li[data-path="${path}"]`);

test('a workflow job: the progression replaces the component while it runs, its tasks follow live through a dropped connection, then the component comes back', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const job = await (
    await api.post('/api/jobs', {
      data: {
        name: 'Invoice batch',
        schedule: { kind: 'manual' },
        workflow: {
          tasks: [
            { name: 'fetch', script: 'sleep 1.5; echo fetched' },
            { name: 'render', subtasks: [{ name: 'pdf', script: 'sleep 2.5' }, { name: 'html', script: 'sleep 1' }] },
            { name: 'send', script: 'sleep 2' },
          ],
        },
      },
    })
  ).json();
  const door = await apiDoor(jobdeck);
  try {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await open(page, door, jobdeck.tokens.viewer, job.id);
    await expect(page.getByTestId('component')).toHaveText(/The batch is ready/);
    await expect(page.getByTestId('component-default')).toBeVisible();
    // Both components share one connection.
    await expect.poll(() => door.sockets()).toBe(1);

    const run = await (await api.post(`/api/jobs/${job.id}/runs`, { data: {} })).json();
    const progression = page.getByTestId('progression');
    await expect(progression).toBeVisible();
    await expect(progression).toHaveAttribute('data-run', String(run.id));
    await expect(page.getByTestId('component')).toHaveCount(0);
    await expect(page.locator('.jobdeck-progress')).toBeVisible();
    // The tasks, in tree order, with the seed's status words.
    await expect(progression.locator('li')).toHaveCount(5);
    await expect(progression.locator('li')).toHaveText([/^fetch: /, /^render: /, /^pdf: /, /^html: /, /^send: /]);
    await expect(task(page, '#.fetch')).toHaveAttribute('data-status', /queued|ok/);
    await expect(task(page, '#.send')).toHaveAttribute('data-status', 'inactive');
    await expect(task(page, '#.fetch')).toHaveAttribute('data-status', 'ok');
    await expect(task(page, '#.render.pdf')).toHaveAttribute('data-status', 'queued');
    await expect(progression).toHaveAttribute('data-status', 'IN_PROGRESS');
    await expect.poll(async () => Number(await progression.getAttribute('data-percent'))).toBeGreaterThan(0);
    await expect(page.locator('.jobdeck-progress li[data-path="#.fetch"]')).toHaveAttribute('data-status', 'ok');
    await screenshot(page, 'embed-progress');

    // The network drops while pdf runs: the progression says so, the component reconnects and catches up.
    expect(door.drop()).toBe(1);
    await expect(progression).toHaveAttribute('data-connection', /closed|connecting/);
    await screenshot(page, 'embed-reconnecting');
    await expect(progression).toHaveAttribute('data-connection', 'open');
    await expect.poll(() => door.sockets()).toBe(1);
    await expect(task(page, '#.render.html')).toHaveAttribute('data-status', 'ok');
    await expect(task(page, '#.render.pdf')).toHaveAttribute('data-status', 'ok');
    await expect(task(page, '#.send')).toHaveAttribute('data-status', 'queued');
    await screenshot(page, 'embed-after-reconnect');

    // The run ends: the component is back (and heard that the run was done).
    await expect(page.getByTestId('component')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('progression')).toHaveCount(0);
    await expect(page.getByTestId('component-default')).toBeVisible();
    await expect(page.getByTestId('refreshed')).toHaveText('(refreshed after 1 run)');
    const log = await page.evaluate(() => window.jobifyLog);
    expect(log.done).toEqual([expect.objectContaining({ id: run.id, jobId: job.id, status: 'SUCCEEDED' })]);
    expect(log.connections).toEqual(expect.arrayContaining(['open', 'closed']));
    expect(log.errors.filter((e) => !/disconnected/.test(e))).toEqual([]);
    // The token never travelled in a URL.
    expect(door.upgrades.length).toBeGreaterThanOrEqual(2);
    for (const u of door.upgrades) expect(u).not.toContain(jobdeck.tokens.viewer);
    expect(errors).toEqual([]);
    await screenshot(page, 'embed-done');
  } finally {
    await door.close();
  }
});

test('a script job already running when the page opens: progress percent and message, then the component', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const script = ['for i in 1 2 3 4; do', '  echo "::progress $((i * 25)) step $i of 4"', '  sleep 1', 'done', ''].join('\n');
  const job = await (await api.post('/api/jobs', { data: { name: 'Export', script, schedule: { kind: 'manual' } } })).json();
  const run = await (await api.post(`/api/jobs/${job.id}/runs`, { data: {} })).json();
  const door = await apiDoor(jobdeck);
  try {
    await expect.poll(async () => (await (await api.get(`/api/runs/${run.id}`)).json()).status).toBe('IN_PROGRESS');
    await open(page, door, jobdeck.tokens.viewer, job.id);
    const progression = page.getByTestId('progression');
    await expect(progression).toBeVisible();
    await expect(progression).toHaveAttribute('data-run', String(run.id));
    await expect(progression).toContainText(/step [1-4] of 4/);
    await expect(progression.locator('li')).toHaveCount(0);
    await expect.poll(async () => Number(await progression.getAttribute('data-percent'))).toBeGreaterThanOrEqual(50);
    await expect(page.locator('.jobdeck-progress progress')).toHaveAttribute('value', /^(50|75|100)$/);
    await screenshot(page, 'embed-script');
    await expect(page.getByTestId('component')).toBeVisible({ timeout: 30_000 });
    expect((await page.evaluate(() => window.jobifyLog)).done).toEqual([expect.objectContaining({ id: run.id, status: 'SUCCEEDED' })]);
  } finally {
    await door.close();
  }
});

test('a wrong token: the component stays, and the host hears why', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const job = await (await api.post('/api/jobs', { data: { name: 'Quiet', script: 'true', schedule: { kind: 'manual' } } })).json();
  const door = await apiDoor(jobdeck);
  try {
    await open(page, door, 'jd_not-a-real-token', job.id);
    await expect(page.getByTestId('component')).toBeVisible();
    await expect.poll(async () => (await page.evaluate(() => window.jobifyLog)).errors.join(' ')).toMatch(/token/);
    await expect(page.getByTestId('progression')).toHaveCount(0);
  } finally {
    await door.close();
  }
});

test('a page of an origin the server does not allow: the component stays, and the host hears why', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const job = await (await api.post('/api/jobs', { data: { name: 'Elsewhere', script: 'true', schedule: { kind: 'manual' } } })).json();
  const door = await apiDoor(jobdeck);
  try {
    // Same host app, reached as localhost: another origin, not in --allow-origin.
    const other = hostUrl.replace('127.0.0.1', 'localhost');
    await page.goto(`${other}/?server=${encodeURIComponent(door.url)}&token=${encodeURIComponent(jobdeck.tokens.viewer)}&job=${job.id}`);
    await expect(page.getByTestId('component')).toBeVisible();
    await expect.poll(async () => (await page.evaluate(() => window.jobifyLog)).errors.join(' ')).toContain(`does it allow requests from ${other}`);
    await expect(page.getByTestId('progression')).toHaveCount(0);
  } finally {
    await door.close();
  }
});
