/** The console end to end, as a support engineer uses it, in Chromium against `jobdeck serve`. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JOB_DEFAULTS } from '../shared/model/job';
import { expect, screenshot, test } from './fixtures';

const SCRIPT = [
  'echo "args: $*"',
  'for i in 1 2 3 4 5; do',
  '  echo "step $i"',
  '  echo "::progress $((i * 20)) step $i of 5"',
  '  sleep 1',
  'done',
  "printf 'name,count\\nalpha,1\\nbeta,2\\n' > \"$JOBDECK_OUTPUT_DIR/report.csv\"",
  'echo "::result report.csv"',
  '',
].join('\n');

test('signs in with a token, and says so when the token is refused', async ({ page, jobdeck }) => {
  await page.goto(jobdeck.url);
  await expect(page.locator('[data-app-state="signed-out"]')).toBeVisible();
  await page.getByLabel('API token').fill('jd_not-a-real-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('the token is not valid');
  await screenshot(page, 'login');
  await page.getByLabel('API token').fill(jobdeck.tokens.admin);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('[data-app-state="ready"]')).toBeVisible();
  await expect(page.getByTestId('connection-target')).toContainText('127.0.0.1');
  await expect(page.getByText('bob')).toBeVisible();
  // An admin may run jobs but not create them.
  await expect(page.getByRole('link', { name: '+ New job' })).toHaveCount(0);
});

test('creates a shell job, runs it with args, watches it live, downloads and previews its CSV', async ({ page, jobdeck }) => {
  await jobdeck.open(page, '#/jobs/new');
  await page.getByLabel('Name *').fill('e2e job');
  await page.getByLabel('Group', { exact: true }).fill('reports');
  await page.locator('.cm-content').click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(SCRIPT);
  await page.getByRole('radio', { name: 'Manual only' }).check();
  await page.getByRole('button', { name: 'Create job' }).click();
  await expect(page.getByRole('heading', { name: 'e2e job' })).toBeVisible();
  const md5 = createHash('md5').update(SCRIPT).digest('hex');
  // A new job opens on its page's overview, with the script's MD5.
  await expect(page.getByRole('tab', { name: 'Overview' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('job-page').locator(`[data-md5="${md5}"]`)).toContainText(md5.slice(0, 8));
  await screenshot(page, 'job-editor');

  // The list shows it, with the script's MD5.
  await page.getByRole('link', { name: 'Jobs', exact: true }).click();
  const row = page.locator('[data-job="e2e job"]');
  await expect(row).toBeVisible();
  await expect(row.locator(`[data-md5="${md5}"]`)).toContainText(md5.slice(0, 8));
  await expect(row).toContainText('manual only');

  // Run now with args.
  await row.getByRole('button', { name: 'Run e2e job now' }).click();
  await page.getByLabel('Arguments').fill('alpha beta');
  await page.getByRole('button', { name: 'Run now', exact: true }).click();
  const detail = page.getByTestId('run-detail');
  await expect(detail).toBeVisible();
  const log = page.getByTestId('log-view');
  await expect(log).toContainText('args: alpha beta');
  // Lines arrive and progress moves while the run is still going.
  await expect(log).toContainText('step 2');
  await expect(detail).toHaveAttribute('data-status', 'IN_PROGRESS');
  const bar = page.getByRole('progressbar', { name: 'Run progress' });
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow'))).toBeGreaterThanOrEqual(40);
  await expect(detail).toHaveAttribute('data-status', 'IN_PROGRESS');
  await screenshot(page, 'run-live');
  const runUrl = page.url();

  // A second Run now while it runs is refused with a clear message.
  await page.getByRole('link', { name: 'e2e job' }).click();
  await page.getByRole('button', { name: 'Run now' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Run now' }).click();
  await expect(page.getByTestId('run-error')).toContainText('is currently running');
  await screenshot(page, 'run-now-refused');
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

  await page.goto(runUrl);
  await expect(detail).toHaveAttribute('data-status', 'SUCCEEDED', { timeout: 20_000 });
  await expect(bar).toHaveAttribute('aria-valuenow', '100');
  await expect(page.getByText('Finished SUCCEEDED')).toBeVisible();

  // Download the CSV and compare the bytes with the file the run wrote.
  const runId = Number(new URL(runUrl).hash.split('/').pop());
  const job = await (await jobdeck.api()).get('/api/runs/' + runId).then((r) => r.json());
  const file = page.locator('[data-file="report.csv"]');
  await expect(file).toContainText('primary');
  const [download] = await Promise.all([page.waitForEvent('download'), file.getByRole('link', { name: 'Download' }).click()]);
  expect(download.suggestedFilename()).toBe('report.csv');
  const got = readFileSync((await download.path())!);
  const onDisk = readFileSync(join(jobdeck.dataDir, 'runs', String(job.jobId), String(runId), 'output', 'report.csv'));
  expect(got.equals(onDisk)).toBe(true);

  // Preview it as a table the window's width, sorted by a column, with its row count.
  await screenshot(page, 'run-detail');
  await file.getByRole('button', { name: 'Preview' }).click();
  const preview = page.getByTestId('csv-preview');
  await expect(preview.locator('th')).toHaveText(['name', 'count']);
  await expect(preview.locator('tbody tr')).toHaveCount(2);
  await expect(preview.getByTestId('csv-count')).toContainText('2 rows, 2 columns');
  await expect(preview.locator('tbody tr').first()).toContainText('alpha');
  expect((await preview.boundingBox())!.width).toBeGreaterThan(1200);
  await preview.getByRole('button', { name: 'count' }).click();
  await preview.getByRole('button', { name: 'count' }).press('Enter');
  await expect(preview.locator('th').nth(1)).toHaveAttribute('aria-sort', 'descending');
  await expect(preview.locator('tbody tr').first()).toContainText('beta');
  await expect(preview.getByTestId('csv-count')).toContainText('sorted by count, descending');
  await screenshot(page, 'run-csv-preview');
  await page.keyboard.press('Escape');
  await expect(preview).toBeHidden();

  // Search the log.
  await page.getByLabel('Search the log').fill('STEP 3');
  await page.getByRole('button', { name: 'Find' }).click();
  await expect(page.getByTestId('search-status')).toHaveText('1 of 2');
});

test('shows the schema error of an interval of 301 beside the field', async ({ page, jobdeck }) => {
  await jobdeck.open(page, '#/jobs/new');
  await page.getByLabel('Name *').fill('too often');
  await page.getByLabel('Interval (seconds)').fill('301');
  await page.getByRole('button', { name: 'Create job' }).click();
  await expect(page.locator('[data-field-error="job-interval"]')).toHaveText('interval must be at most 300 seconds');
  await expect(page.getByTestId('editor-alert')).toContainText('Some fields need attention');
  // A taken name is refused inline, before saving.
  await (await jobdeck.api()).post('/api/jobs', { data: { name: 'Existing', script: 'true' } });
  await page.reload();
  await expect(page.locator('[data-app-state="ready"]')).toBeVisible();
  await page.getByLabel('Name *').fill('EXISTING');
  await expect(page.locator('[data-field-error="job-name"]')).toHaveText('A job named "EXISTING" already exists');
  await page.getByLabel('Name *').fill('fine');
  await page.getByRole('radio', { name: 'Cron' }).check();
  await page.getByLabel('Cron expression').fill('0 30 9 * * MON-FRI');
  await page.getByLabel('Time zone').selectOption('Asia/Tokyo');
  await expect(page.getByTestId('cron-preview')).toContainText('09:30');
  await expect(page.getByTestId('cron-preview').locator('li')).toHaveCount(5);
  await screenshot(page, 'job-new-errors');
  const list = await (await jobdeck.api()).get('/api/jobs').then((r) => r.json());
  expect(list.items.map((j: { name: string }) => j.name)).toEqual(['Existing']);
});

test('archiving a job stops it being fired', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const job = await api.post('/api/jobs', { data: { name: 'ticker', script: 'echo tick', schedule: { kind: 'interval', seconds: 1 } } }).then((r) => r.json());
  await jobdeck.open(page, `#/jobs/${job.id}`);
  const runs = async () => (await api.get(`/api/runs?jobId=${job.id}`).then((r) => r.json())).total as number;
  await expect.poll(runs, { timeout: 10_000 }).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Archive' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Archive' }).click();
  await expect(page.locator('.badge.archived').first()).toBeVisible();
  const after = await runs();
  await page.waitForTimeout(3000);
  expect(await runs()).toBe(after);
  await page.getByRole('link', { name: 'Jobs', exact: true }).click();
  await expect(page.locator('[data-job="ticker"]')).toContainText('archived');
});

test('cancels a long run', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const job = await api.post('/api/jobs', { data: { name: 'long', script: 'echo started; sleep 120', schedule: { kind: 'manual' } } }).then((r) => r.json());
  const run = await api.post(`/api/jobs/${job.id}/runs`, { data: {} }).then((r) => r.json());
  await jobdeck.open(page, `#/runs/${run.id}`);
  await expect(page.getByTestId('log-view')).toContainText('started');
  await page.getByRole('button', { name: 'Cancel run' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel run' }).click();
  await expect(page.getByTestId('run-detail')).toHaveAttribute('data-status', 'CANCELLED');
  await expect(page.locator('dd.error-text')).toHaveText('cancelled by alice');
  await expect(page.getByTestId('log-view')).toContainText('Finished CANCELLED');
});

test('filters runs by status and date, and shows the audit log', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const ok = await api.post('/api/jobs', { data: { name: 'works', script: 'true', schedule: { kind: 'manual' } } }).then((r) => r.json());
  const bad = await api.post('/api/jobs', { data: { name: 'breaks', script: 'exit 2', schedule: { kind: 'manual' } } }).then((r) => r.json());
  for (const j of [ok, bad]) await api.post(`/api/jobs/${j.id}/runs`, { data: {} });
  await expect.poll(async () => (await api.get('/api/runs?status=SUCCEEDED,FAILED').then((r) => r.json())).total).toBe(2);
  await jobdeck.open(page, '#/runs');
  const rows = page.locator('[data-run]');
  await expect(rows).toHaveCount(2);
  await page.getByRole('checkbox', { name: 'FAILED' }).check();
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('breaks');
  await expect(rows.first()).toContainText('exit 2');
  await screenshot(page, 'runs-filtered');
  await page.getByRole('checkbox', { name: 'FAILED' }).uncheck();
  await page.getByLabel('Queued before').fill('2020-01-01T00:00:00');
  await expect(page.getByText('No runs match.')).toBeVisible();
  await page.getByLabel('Queued before').fill('');
  await page.getByLabel('Queued from').fill('2020-01-01T00:00:00');
  await expect(rows).toHaveCount(2);
  await page.getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByTestId('audit-screen')).toContainText('job.create');
  await expect(page.getByTestId('audit-screen')).toContainText('run.trigger');
  await screenshot(page, 'audit');
});

test('the scheduler bar pauses and resumes the scheduler', async ({ page, jobdeck }) => {
  await (await jobdeck.api()).post('/api/jobs', { data: { name: 'every minute', script: 'true' } });
  await jobdeck.open(page, '#/jobs');
  await expect(page.getByTestId('scheduler-state')).toHaveText('Scheduler running');
  await page.getByRole('button', { name: 'Scheduler ▾' }).click();
  await expect(page.getByRole('region', { name: 'Scheduler details' })).toContainText('every minute');
  await screenshot(page, 'scheduler');
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('scheduler-state')).toHaveText('Scheduler paused');
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('scheduler-state')).toHaveText('Scheduler running');
});

test('a viewer reads but cannot change or run', async ({ page, jobdeck }) => {
  await (await jobdeck.api()).post('/api/jobs', { data: { name: 'read me', script: 'true' } });
  await jobdeck.open(page, '#/jobs', 'viewer');
  await expect(page.locator('[data-job="read me"]')).toBeVisible();
  await expect(page.getByRole('button', { name: /Run read me now/ })).toHaveCount(0);
  await page.locator('[data-job="read me"]').click();
  await expect(page.getByTestId('job-page')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Save changes' })).toHaveCount(0);
  await expect(page.getByRole('tab', { name: 'Settings' })).toHaveCount(0);
  await expect(page.locator('form input')).toHaveCount(0);
});

test('lists 10,000 jobs in a virtualized table, reachable by keyboard', async ({ page, jobdeck }) => {
  const jobs = Array.from({ length: 10_000 }, (_, i) => ({
    ...JOB_DEFAULTS,
    name: `job ${String(i).padStart(5, '0')}`,
    group: `group ${i % 7}`,
    script: `echo ${i}`,
    user: 'svc',
    schedule: { kind: 'manual' },
    archived: false,
  }));
  const api = await jobdeck.api();
  const res = await api.post('/api/import', { data: { document: { format: 'jobdeck-export', version: 1, exportedAt: new Date().toISOString(), jobs } } });
  expect(res.ok()).toBe(true);
  await jobdeck.open(page, '#/jobs');
  await expect(page.getByText('10000 jobs')).toBeVisible();
  expect(await page.locator('[data-job]').count()).toBeLessThan(80);
  await screenshot(page, 'jobs-10000');
  await page.getByTestId('jobs-scroller').evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect(page.locator('[data-job="job 09999"]')).toBeVisible();
  await page.getByLabel('Search by name').fill('job 0421');
  await expect(page.getByText('10 of 10000 jobs')).toBeVisible();
  await page.getByLabel('Group').selectOption('group 3');
  await expect(page.locator('[data-job]')).toHaveText([/job 04210/, /job 04217/]);
  // Keyboard: arrows move between rows, Enter opens the job.
  await page.getByLabel('Group').selectOption('');
  await page.locator('[data-index="0"]').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(page.locator('[data-index="2"]')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'job 04212' })).toBeVisible();
});

test('follows the system dark theme', async ({ browser, jobdeck }) => {
  const context = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const api = await jobdeck.api();
  await api.post('/api/jobs', { data: { name: 'dark job', script: 'echo "\\033[33myellow\\033[0m"; echo err >&2', schedule: { kind: 'manual' } } });
  const run = await api.post('/api/jobs/1/runs', { data: {} }).then((r) => r.json());
  await jobdeck.open(page, `#/runs/${run.id}`);
  await expect(page.getByTestId('run-detail')).toHaveAttribute('data-status', 'SUCCEEDED');
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(bg).toBe('rgb(13, 17, 23)');
  await expect(page.locator('.log-line.stdout span[style*="color"]')).toHaveText('yellow');
  await expect(page.locator('.log-line.stderr')).toContainText('err');
  await screenshot(page, 'run-dark');
  await context.close();
});

test('the log search count follows the lines as they arrive; Enter and Shift+Enter step through the matches', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const job = await api.post('/api/jobs', { data: { name: 'paced', script: 'for i in 1 2 3 4 5; do echo "step $i"; echo between; sleep 0.5; done', schedule: { kind: 'manual' } } }).then((r) => r.json());
  const run = await api.post(`/api/jobs/${job.id}/runs`, { data: {} }).then((r) => r.json());
  await jobdeck.open(page, `#/runs/${run.id}`);
  await expect(page.getByTestId('log-view')).toContainText('step 1');
  const search = page.getByLabel('Search the log');
  await search.fill('STEP');
  await search.press('Enter');
  const status = page.getByTestId('search-status');
  await expect(status).toHaveText(/^1 of [1-4]$/);
  // The run goes on: the count grows with it, without searching again.
  await expect(status).toHaveText('1 of 5', { timeout: 15_000 });
  await search.press('Enter');
  await expect(status).toHaveText('2 of 5');
  await search.press('Shift+Enter');
  await search.press('Shift+Enter');
  await expect(status).toHaveText('5 of 5');
  await expect(page.locator('.log-line.current')).toContainText('step 5');
});
