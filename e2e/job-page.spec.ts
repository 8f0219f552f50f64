/**
 * A job's page, tried as a support engineer would: the tabs by keyboard, the
 * overview drawn from real runs, the runs and audit of that job only, the
 * script with a side-by-side diff of two versions, a script file loaded by
 * the file picker and by dropping it, the export downloaded, the delete
 * confirmation naming what goes; and what a viewer sees.
 */
import { readFileSync } from 'node:fs';
import { expect, screenshot, test } from './fixtures';

test('the job page: tabs by keyboard; overview from real runs; runs, script diff and audit of this job', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const job = await (
    await api.post('/api/jobs', {
      data: { name: 'nightly export', script: 'echo "run $JOBDECK_RUN_ID"\necho first\nexit 0', schedule: { kind: 'cron', expression: '0 30 2 * * *', timezone: 'Asia/Tokyo' } },
    })
  ).json();
  const other = await (await api.post('/api/jobs', { data: { name: 'other job', script: 'true', schedule: { kind: 'manual' } } })).json();
  const runToEnd = async (jobId: number, params?: object) => {
    const run = await (await api.post(`/api/jobs/${jobId}/runs`, { data: params ?? {} })).json();
    return (await api.get(`/api/runs/${run.id}/wait?timeoutSeconds=30`)).json();
  };
  for (let i = 0; i < 3; i++) await runToEnd(job.id);
  await runToEnd(other.id);
  // A second script version, so the history has two to compare.
  await api.patch(`/api/jobs/${job.id}`, { data: { ifRevision: job.revision, changes: { script: 'echo "run $JOBDECK_RUN_ID"\necho second line\nexit 0' } } });
  const failing = await (await api.post('/api/jobs', { data: { name: 'breaks', script: 'exit 3', schedule: { kind: 'manual' } } })).json();
  await runToEnd(failing.id);

  await jobdeck.open(page, `#/jobs/${job.id}`);
  const page_ = page.getByTestId('job-page');
  await expect(page_.getByRole('heading', { name: 'nightly export', level: 2 })).toBeVisible();
  const tabs = page.getByRole('tablist', { name: 'nightly export: views' });
  await expect(tabs.getByRole('tab')).toHaveText(['Overview', 'Runs', 'Script', 'Settings', 'Audit']);
  await expect(tabs.getByRole('tab', { name: 'Overview' })).toHaveAttribute('aria-selected', 'true');

  // Overview: the schedule in words, five fires in Tokyo's zone and the viewer's, the strip of runs, the trend, the rate, the ID.
  await expect(page.getByTestId('schedule-words')).toContainText('02:30');
  const fires = page.getByTestId('next-fires');
  await expect(fires.locator('thead th').first()).toContainText('Asia/Tokyo');
  await expect(fires.locator('tbody tr')).toHaveCount(5);
  await expect(fires.locator('tbody tr').first().locator('td').first()).toContainText('2:30');
  const strip = page.getByRole('list', { name: /^Latest 3 runs/ });
  await expect(strip.getByRole('link')).toHaveCount(3);
  await expect(strip.getByRole('link').first()).toHaveAttribute('aria-label', /^Run #\d+: succeeded/);
  await expect(page.getByTestId('success-rate')).toHaveText('Success rate 100%: 3 of the last 3 finished runs succeeded.');
  await expect(page.getByTestId('duration-trend').locator('svg.recharts-surface')).toBeVisible();
  await expect(page.getByRole('button', { name: `Copy job ID ${job.id}` })).toBeVisible();
  await screenshot(page, 'job-page-overview');

  // Keyboard: focus the selected tab, arrows move and select, the address follows.
  await tabs.getByRole('tab', { name: 'Overview' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(tabs.getByRole('tab', { name: 'Runs' })).toBeFocused();
  await expect(tabs.getByRole('tab', { name: 'Runs' })).toHaveAttribute('aria-selected', 'true');
  await expect(page).toHaveURL(new RegExp(`#/jobs/${job.id}/runs$`));
  const runsPanel = page.getByRole('tabpanel', { name: 'Runs' });
  await expect(runsPanel.locator('[data-run]')).toHaveCount(3);
  await expect(runsPanel).not.toContainText('other job');
  await page.keyboard.press('End');
  await expect(tabs.getByRole('tab', { name: 'Audit' })).toBeFocused();
  await expect(page).toHaveURL(new RegExp(`#/jobs/${job.id}/audit$`));
  const audit = page.getByRole('tabpanel', { name: 'Audit' });
  await expect(audit.locator('tbody tr').filter({ hasText: 'job.create' })).toHaveCount(1);
  await expect(audit.locator('tbody tr').filter({ hasText: 'job.update' })).toHaveCount(1);
  await expect(audit).not.toContainText('other job');
  await page.keyboard.press('Home');
  await expect(tabs.getByRole('tab', { name: 'Overview' })).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await expect(tabs.getByRole('tab', { name: 'Audit' })).toHaveAttribute('aria-selected', 'true');

  // Script: read-only, the versions, the diff side by side.
  await tabs.getByRole('tab', { name: 'Script' }).click();
  await expect(page).toHaveURL(new RegExp(`#/jobs/${job.id}/script$`));
  // A click is a step in the history; the arrow-key moves before it were not.
  await page.goBack();
  await expect(page).toHaveURL(new RegExp(`#/jobs/${job.id}/audit$`));
  await page.goForward();
  await expect(page).toHaveURL(new RegExp(`#/jobs/${job.id}/script$`));
  const editor = page.getByRole('tabpanel', { name: 'Script' }).locator('.cm-content');
  await expect(editor).toHaveAttribute('aria-readonly', 'true');
  await expect(editor).toContainText('echo second line');
  const diff = page.getByRole('region', { name: 'Differences side by side' });
  await expect(diff).toBeVisible();
  await expect(diff.locator('td.add')).toContainText(['echo second line']);
  await expect(diff.locator('td.del')).toContainText(['echo first']);
  const box = await diff.boundingBox();
  expect(box!.width).toBeGreaterThan(1000);
  await screenshot(page, 'job-page-script');

  // A deep link opens its tab; a reload keeps it.
  await page.reload();
  await expect(page.getByRole('tab', { name: 'Script' })).toHaveAttribute('aria-selected', 'true');

  // The run page's link back lands on this job's runs.
  const first = (await (await api.get(`/api/runs?jobId=${job.id}`)).json()).items[0];
  await page.goto(`${jobdeck.url}/#/runs/${first.id}`);
  await page.getByRole('link', { name: 'All runs of this job' }).click();
  await expect(page.getByRole('tab', { name: 'Runs' })).toHaveAttribute('aria-selected', 'true');

  // A failing job's overview says so.
  await page.goto(`${jobdeck.url}/#/jobs/${failing.id}`);
  await expect(page.getByTestId('success-rate')).toHaveText('Success rate 0%: 0 of the last 1 finished runs succeeded.');
  await expect(page.getByTestId('last-failure')).toHaveText(/^The latest run, #\d+, failed: exit code 3$/);
  await expect(page.getByRole('list', { name: /^Latest 1 runs/ }).getByRole('link')).toHaveAttribute('aria-label', /failed/);
});

test('settings: edits survive other tabs; a script file loads by picker and by drop; runs and overview follow live', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const job = await (await api.post('/api/jobs', { data: { name: 'loader', script: 'echo old', schedule: { kind: 'manual' } } })).json();
  await jobdeck.open(page, `#/jobs/${job.id}/settings`);
  const settings = page.getByRole('tabpanel', { name: 'Settings' });
  await settings.getByLabel('Description').fill('loads the files');
  await page.getByRole('tab', { name: 'Overview' }).click();
  await expect(page.getByRole('tab', { name: 'Settings (unsaved)' })).toBeVisible();
  await page.getByRole('tab', { name: 'Settings (unsaved)' }).click();
  await expect(settings.getByLabel('Description')).toHaveValue('loads the files');

  // The picker: a Python file by its #! line.
  await settings.getByTestId('script-file').setInputFiles({ name: 'report.txt', mimeType: 'text/plain', buffer: Buffer.from('#!/usr/bin/env python3\nprint("from the file")\n') });
  await expect(settings.getByTestId('script-loaded')).toContainText('Loaded report.txt');
  await expect(settings.getByTestId('script-loaded')).toContainText('Runtime set to python3 from its #! line');
  await expect(settings.locator('.cm-content')).toContainText('print("from the file")');
  await expect(settings.getByLabel('Runtime')).toHaveValue('python3');
  // Not text: refused, the script kept.
  await settings.getByTestId('script-file').setInputFiles({ name: 'blob.bin', mimeType: 'application/octet-stream', buffer: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1]) });
  await expect(settings.getByTestId('script-loaded')).toHaveText('blob.bin is not a text file (it holds NUL bytes)');
  await expect(settings.locator('.cm-content')).toContainText('print("from the file")');

  // A drop on the editor replaces the text (CodeMirror would insert it where it fell); a .sh name sets sh.
  const transfer = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['echo "dropped in"\n'], 'tidy.sh', { type: 'text/x-sh' }));
    return dt;
  });
  await settings.locator('.cm-content').dispatchEvent('dragover', { dataTransfer: transfer });
  await expect(settings.getByTestId('script-field')).toHaveClass(/dropping/);
  await settings.locator('.cm-content').dispatchEvent('drop', { dataTransfer: transfer });
  await expect(settings.getByTestId('script-loaded')).toContainText('Loaded tidy.sh');
  await expect(settings.getByTestId('script-loaded')).toContainText('Runtime set to sh from its extension');
  await expect(settings.locator('.cm-content')).toHaveText('echo "dropped in"');
  // Undo puts back the script and the runtime the file replaced.
  await settings.getByRole('button', { name: 'Undo' }).click();
  await expect(settings.locator('.cm-content')).toContainText('print("from the file")');
  await expect(settings.getByLabel('Runtime')).toHaveValue('python3');
  await settings.locator('.cm-content').dispatchEvent('drop', { dataTransfer: transfer });
  await expect(settings.locator('.cm-content')).toHaveText('echo "dropped in"');
  // A file dropped beside the editor is refused by the page, not opened by the browser (which would leave the console).
  const opened = await page.evaluate((dt) => {
    const drop = new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true });
    document.querySelector('.tabs')!.dispatchEvent(drop);
    return !drop.defaultPrevented;
  }, transfer);
  expect(opened).toBe(false);
  await expect(settings.locator('.cm-content')).toHaveText('echo "dropped in"');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('tab', { name: 'Settings', exact: true })).toBeVisible();
  const saved = await (await api.get(`/api/jobs/${job.id}`)).json();
  expect(saved).toMatchObject({ script: 'echo "dropped in"\n', runtime: 'sh', description: 'loads the files' });

  // Runs started elsewhere show up on the overview while it is open.
  await page.getByRole('tab', { name: 'Overview' }).click();
  await expect(page.getByText('No runs yet.')).toBeVisible();
  const run = await (await api.post(`/api/jobs/${job.id}/runs`, { data: {} })).json();
  await api.get(`/api/runs/${run.id}/wait?timeoutSeconds=30`);
  await expect(page.getByRole('list', { name: /^Latest 1 runs/ }).getByRole('link')).toHaveAttribute('aria-label', new RegExp(`^Run #${run.id}: succeeded`));
  // Changed by someone else: the page reads it again.
  await api.patch(`/api/jobs/${job.id}`, { data: { ifRevision: saved.revision, changes: { description: 'changed by the API' } } });
  await expect(page.getByText('changed by the API')).toBeVisible();
});

test('export downloads the job as JSON; delete names what goes, refuses while it runs, then removes it', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const job = await (await api.post('/api/jobs', { data: { name: 'to go', script: 'echo "::progress 10 waiting"; sleep "${SLEEP:-0}"', schedule: { kind: 'manual' } } })).json();
  for (let i = 0; i < 2; i++) {
    const run = await (await api.post(`/api/jobs/${job.id}/runs`, { data: {} })).json();
    await api.get(`/api/runs/${run.id}/wait?timeoutSeconds=30`);
  }
  await jobdeck.open(page, `#/jobs/${job.id}`);
  await expect(page.getByRole('list', { name: /^Latest 2 runs/ })).toBeVisible();

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  expect(download.suggestedFilename()).toBe('to go.jobdeck.json');
  const doc = JSON.parse(readFileSync((await download.path())!, 'utf8'));
  expect(doc.jobs).toHaveLength(1);
  expect(doc.jobs[0]).toMatchObject({ name: 'to go', script: job.script });
  // It imports back as it is: a dry run finds the same job, unchanged, and nothing to create.
  const report = await (await api.post('/api/import', { data: { document: doc, dryRun: true } })).json();
  expect(report).toEqual({ dryRun: true, created: [], updated: [], unchanged: ['to go'] });

  // While a run is in progress, deleting is refused with the run named; nothing goes.
  await api.patch(`/api/jobs/${job.id}`, { data: { ifRevision: job.revision, changes: { script: 'echo "::progress 10 waiting"; sleep 60' } } });
  const long = await (await api.post(`/api/jobs/${job.id}/runs`, { data: {} })).json();
  await expect.poll(async () => (await (await api.get(`/api/runs/${long.id}`)).json()).status).toBe('IN_PROGRESS');
  await page.getByRole('button', { name: 'Delete…' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByTestId('delete-what')).toContainText('to go with its 3 runs, their logs and their result files');
  await screenshot(page, 'job-page-delete');
  await dialog.getByRole('button', { name: 'Delete the job' }).click();
  await expect(page.locator('.toast.error')).toContainText(`Not deleted`);
  await expect(page.locator('.toast.error')).toContainText(`#${long.id}`);
  expect((await api.get(`/api/jobs/${job.id}`)).status()).toBe(200);

  await api.post(`/api/runs/${long.id}/cancel`);
  await api.get(`/api/runs/${long.id}/wait?timeoutSeconds=30`);
  await page.getByRole('button', { name: 'Delete…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Keep it' }).click();
  expect((await api.get(`/api/jobs/${job.id}`)).status()).toBe(200);
  await page.getByRole('button', { name: 'Delete…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete the job' }).click();
  await expect(page.locator('.toast.success').filter({ hasText: 'Deleted job' })).toContainText('Deleted job "to go" with 3 runs');
  await expect(page).toHaveURL(/#\/jobs$/);
  await expect(page.locator('[data-job="to go"]')).toHaveCount(0);
  expect((await api.get(`/api/jobs/${job.id}`)).status()).toBe(404);
  expect((await (await api.get(`/api/runs?jobId=${job.id}`)).json()).total).toBe(0);
});

test('a viewer gets read-only pages: no Settings tab, no edit or delete, an explanation at the settings address', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const job = await (await api.post('/api/jobs', { data: { name: 'watched', script: 'echo hi', schedule: { kind: 'interval', seconds: 120 } } })).json();
  await jobdeck.open(page, `#/jobs/${job.id}`, 'viewer');
  await expect(page.getByRole('tab')).toHaveText(['Overview', 'Runs', 'Script', 'Audit']);
  for (const name of ['Run now', 'Duplicate', 'Archive', 'Delete…']) await expect(page.getByRole('button', { name })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Export JSON' })).toBeVisible();
  await expect(page.getByTestId('next-fires').locator('tbody tr')).toHaveCount(5);
  // An interval job seen from UTC: one zone, one column.
  await expect(page.getByTestId('next-fires').locator('thead th')).toHaveText(['UTC']);
  await expect(page.locator('form')).toHaveCount(0);
  await page.goto(`${jobdeck.url}/#/jobs/${job.id}/settings`);
  await expect(page.getByRole('note')).toHaveText('Changing a job needs the superadmin role. Its settings are on the Overview and Script tabs.');
  // The tab list still has its selected tab (Overview), so Tab reaches it and arrows work.
  await expect(page.getByRole('tab', { name: 'Overview' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel', { name: 'Overview' })).toContainText('Schedule');
  await page.goto(`${jobdeck.url}/#/jobs/new`);
  await expect(page.getByRole('note')).toContainText('Creating jobs needs the superadmin role');
  await screenshot(page, 'job-page-viewer');
});

test('boolean parameters store what they show: no value, true or false, and a default picked from the same three', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const job = await (
    await api.post('/api/jobs', { data: { name: 'flags', script: 'echo "$JOBDECK_PARAM_VERBOSE"', schedule: { kind: 'manual' }, params: [{ name: 'verbose', type: 'boolean', default: true }] } })
  ).json();
  await jobdeck.open(page, `#/jobs/${job.id}/settings`);
  const value = page.getByRole('combobox', { name: 'verbose (boolean)' });
  // No value of the job's own: the select says so (it showed "true" before, and stored nothing).
  await expect(value).toHaveValue('');
  await expect(value.locator('option:checked')).toHaveText('— (the default, true)');
  await value.selectOption('false');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect.poll(async () => (await (await api.get(`/api/jobs/${job.id}`)).json()).paramValues).toEqual({ verbose: false });
  await value.selectOption('');
  await page.getByLabel('Default').selectOption('false');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect.poll(async () => (await (await api.get(`/api/jobs/${job.id}`)).json()).paramValues).toEqual({});
  const saved = await (await api.get(`/api/jobs/${job.id}`)).json();
  expect(saved.params).toEqual([{ name: 'verbose', type: 'boolean', default: false }]);
  // Run now starts from what the job would use, shown as it is.
  await page.getByRole('button', { name: 'Run now' }).click();
  await expect(page.getByRole('dialog').getByRole('combobox', { name: 'verbose (boolean)' })).toHaveValue('false');
});

test('a job deleted elsewhere while its page is open: the page says it no longer exists', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const job = await (await api.post('/api/jobs', { data: { name: 'short-lived', script: 'true', schedule: { kind: 'manual' } } })).json();
  await jobdeck.open(page, `#/jobs/${job.id}`);
  await expect(page.getByRole('heading', { name: 'short-lived', level: 2 })).toBeVisible();
  expect((await api.delete(`/api/jobs/${job.id}`)).status()).toBe(200);
  await expect(page.getByRole('alert')).toContainText(/not found|no longer exists/i);
  await expect(page.getByRole('heading', { name: 'short-lived', level: 2 })).toHaveCount(0);
});
