/**
 * A workflow run in the console, in Chromium against `jobdeck serve`: the
 * task tree fills in live, its timeline bars sit where the tasks ran, a
 * task's own log and result show on click or Enter, and an admin re-runs
 * the failed tasks (then one task) in place. A tree of 500 tasks stays
 * virtualized and smooth.
 */
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, screenshot, test } from './fixtures';

const row = (page: Page, path: string) => page.locator(`[role="treegrid"] [role="row"][data-path="${path}"]`);
const bar = async (page: Page, path: string) => {
  const el = row(page, path).locator('.tl-bar');
  return { left: Number(await el.getAttribute('data-left')), width: Number(await el.getAttribute('data-width')) };
};

test('a workflow run: live task tree with a timeline, task logs and results, re-run failed and one task in place', async ({ page, jobdeck, browser }) => {
  const api = await jobdeck.api();
  const marker = join(jobdeck.dataDir, 'report-second-try');
  const job = await (
    await api.post('/api/jobs', {
      data: {
        name: 'Nightly ETL',
        schedule: { kind: 'manual' },
        workflow: {
          tasks: [
            {
              name: 'extract',
              script: `echo extracting; sleep 0.5; echo '::return {"rows": 42}'`,
              dest: 'batch',
              subtasks: [
                { name: 'eu', script: 'for i in 1 2 3 4; do echo "eu part $i"; sleep 0.5; done' },
                { name: 'us', script: 'sleep 1.5; echo us done' },
                { name: 'asia', script: 'echo asia', condition: 'batch.rows > 100' },
              ],
            },
            { name: 'report', script: `if [ -f '${marker}' ]; then echo report ok; else touch '${marker}'; echo 'report broke' >&2; exit 3; fi` },
            { name: 'publish', script: 'echo published' },
          ],
        },
      },
    })
  ).json();
  expect(job.runtime).toBe('workflow');
  const run = await (await api.post(`/api/jobs/${job.id}/runs`, { data: {} })).json();

  await jobdeck.open(page, `#/runs/${run.id}`, 'admin');
  const tree = page.getByRole('treegrid', { name: 'Tasks' });
  await expect(tree).toBeVisible();
  // Live: a subtask is seen running, with a growing bar, before the run ends.
  await expect(row(page, '#.extract.eu')).toHaveAttribute('data-status', 'RUNNING');
  await expect(row(page, '#.extract.eu').getByText('Running', { exact: true })).toBeVisible();
  await expect.poll(async () => (await bar(page, '#.extract.eu')).width).toBeGreaterThan(0);
  await expect(page.getByTestId('run-detail')).toHaveAttribute('data-status', 'IN_PROGRESS');
  await expect(row(page, '#.extract')).toHaveAttribute('aria-level', '1');
  await expect(row(page, '#.extract.eu')).toHaveAttribute('aria-level', '2');
  await expect(row(page, '#.publish')).toHaveAttribute('data-status', 'PENDING');
  await screenshot(page, 'workflow-live');

  // The selected task's own log grows while it runs.
  await row(page, '#.extract.eu').click();
  const detail = page.getByTestId('task-detail');
  await expect(detail).toHaveAttribute('data-path', '#.extract.eu');
  await expect(page.getByTestId('task-log')).toContainText('eu part 1');
  await expect(page.getByTestId('task-log')).toContainText('eu part 4');
  await expect(page.getByTestId('task-log')).not.toContainText('us done');

  // The run fails at report; publish is not reached; asia's condition was false.
  await expect(page.getByTestId('run-detail')).toHaveAttribute('data-status', 'FAILED', { timeout: 30_000 });
  await expect(row(page, '#.report')).toHaveAttribute('data-status', 'FAILED');
  await expect(row(page, '#.publish')).toHaveAttribute('data-status', 'SKIPPED');
  await expect(row(page, '#.extract.asia')).toHaveAttribute('data-status', 'SKIPPED');
  await expect(row(page, '#.extract.asia')).toContainText('condition batch.rows > 100 is false');
  await expect(row(page, '#.report')).toContainText('Failed');
  await expect(page.getByTestId('task-counts')).toContainText('1 failed');

  // Bars: extract starts the span, its subtasks start after it, report after the subtasks, widths follow durations.
  const extract = await bar(page, '#.extract');
  const us = await bar(page, '#.extract.us');
  const eu = await bar(page, '#.extract.eu');
  const report = await bar(page, '#.report');
  expect(extract.left).toBeLessThan(0.02);
  expect(us.left).toBeGreaterThan(0.1);
  expect(report.left).toBeGreaterThanOrEqual(Math.max(us.left + us.width, eu.left + eu.width) - 0.01);
  expect(eu.width).toBeGreaterThan(us.width);
  await expect(row(page, '#.extract.asia').locator('.tl-bar')).toHaveCount(0);
  // Durations to the millisecond.
  await expect(row(page, '#.extract.us').locator('[role="gridcell"]').nth(4)).toHaveText(/^1\.\d{3} s$/);

  // Keyboard: to the extract row, Enter shows its result.
  await row(page, '#.extract.eu').focus();
  await page.keyboard.press('ArrowLeft');
  await expect(row(page, '#.extract')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(detail).toHaveAttribute('data-path', '#.extract');
  await expect(page.getByTestId('task-result')).toContainText('"rows": 42');
  await expect(page.getByTestId('task-log')).toContainText('extracting');
  // Left folds, Right unfolds.
  await page.keyboard.press('ArrowLeft');
  await expect(row(page, '#.extract')).toHaveAttribute('aria-expanded', 'false');
  await expect(row(page, '#.extract.eu')).toHaveCount(0);
  await page.keyboard.press('ArrowRight');
  await expect(row(page, '#.extract.eu')).toBeVisible();
  await page.keyboard.press('End');
  await expect(row(page, '#.publish')).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  await expect(detail).toHaveAttribute('data-path', '#.report');
  await expect(page.getByTestId('task-log')).toContainText('report broke');
  await expect(page.getByTestId('task-message')).toContainText('EXIT');
  await expect(page.getByTestId('task-result')).toContainText('"exitCode": 3');
  await screenshot(page, 'workflow-failed');

  // A viewer sees the tree but no re-run buttons.
  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();
  await jobdeck.open(viewer, `#/runs/${run.id}`, 'viewer');
  await expect(row(viewer, '#.report')).toHaveAttribute('data-status', 'FAILED');
  await row(viewer, '#.report').click();
  await expect(viewer.getByTestId('task-detail')).toBeVisible();
  await expect(viewer.getByRole('button', { name: 'Re-run failed' })).toHaveCount(0);
  await expect(viewer.getByRole('button', { name: 'Re-run this task' })).toHaveCount(0);
  await viewerContext.close();

  // Re-run failed: same run, round 1; report now succeeds, publish runs, extract is reused.
  await page.getByRole('button', { name: 'Re-run failed' }).click();
  await expect(page.getByTestId('workflow-panel')).toHaveAttribute('data-round', '1');
  await expect(page.getByTestId('run-detail')).toHaveAttribute('data-status', 'SUCCEEDED', { timeout: 30_000 });
  await expect(row(page, '#.report')).toHaveAttribute('data-status', 'SUCCEEDED');
  await expect(row(page, '#.publish')).toHaveAttribute('data-status', 'SUCCEEDED');
  await expect(row(page, '#.extract')).toContainText('reused');
  // Nothing failed any more (asia's false condition is not a failure): no Re-run failed; report's bar is in view.
  await expect(page.getByRole('button', { name: 'Re-run failed' })).toHaveCount(0);
  await expect(row(page, '#.report').locator('.tl-bar')).toBeVisible();
  await expect(page.getByTestId('run-round')).toContainText('re-run in place 1 time');
  await expect(page).toHaveURL(new RegExp(`#/runs/${run.id}$`));
  await expect(page.getByTestId('task-log')).toContainText('report ok');
  await screenshot(page, 'workflow-rerun');

  // Re-run this task: us runs again (round 2), the others keep their outcome.
  await row(page, '#.extract.us').click();
  await page.getByRole('button', { name: 'Re-run this task' }).click();
  await expect(page.getByTestId('workflow-panel')).toHaveAttribute('data-round', '2');
  await expect(row(page, '#.extract.us')).toHaveAttribute('data-status', 'RUNNING');
  await expect(page.getByTestId('run-detail')).toHaveAttribute('data-status', 'SUCCEEDED', { timeout: 30_000 });
  const tasks = await (await api.get(`/api/runs/${run.id}/tasks`)).json();
  expect(tasks.find((t: { path: string }) => t.path === '#.extract.us').round).toBe(2);
  expect(tasks.find((t: { path: string }) => t.path === '#.report').round).toBe(1);

  // The whole log is one tab away.
  await page.getByRole('tab', { name: 'Whole log' }).click();
  await expect(page.getByTestId('log-view')).toContainText('report broke');
});

test('a tree of 500 tasks renders only the rows in view and scrolls smoothly while it runs', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const groups = Array.from({ length: 50 }, (_, g) => ({
    name: `g${g + 1}`,
    subtasks: Array.from({ length: 9 }, (_, t) => ({ name: `t${t + 1}`, script: 'true' })),
  }));
  const job = await (await api.post('/api/jobs', { data: { name: 'Big tree', schedule: { kind: 'manual' }, workflow: { maxParallel: 16, tasks: groups } } })).json();
  const run = await (await api.post(`/api/jobs/${job.id}/runs`, { data: {} })).json();

  await jobdeck.open(page, `#/runs/${run.id}`, 'admin');
  const tree = page.getByRole('treegrid', { name: 'Tasks' });
  await expect(tree).toHaveAttribute('aria-rowcount', '501');
  // Frames while the tree updates live and is scrolled through, measured in the page: no Playwright
  // call runs meanwhile (its locators walk the page's DOM on the same main thread).
  const scroller = page.getByTestId('task-scroller');
  await scroller.evaluate((el) => {
    const w = window as unknown as { frames_: number[]; long_: number[]; stop_: boolean };
    w.frames_ = [];
    w.long_ = [];
    w.stop_ = false;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.long_.push(Math.round(e.duration));
    }).observe({ type: 'longtask' });
    let last = performance.now();
    let step = 0;
    const loop = (t: number) => {
      w.frames_.push(t - last);
      last = t;
      if (++step % 3 === 0) el.scrollTop = (step * 120) % (el.scrollHeight - el.clientHeight);
      if (!w.stop_) requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  });
  await api.get(`/api/runs/${run.id}/wait?timeoutSeconds=60`);
  await page.waitForFunction(() => document.querySelector('[data-testid="task-counts"]')?.textContent === '500 succeeded', null, { polling: 250, timeout: 15_000 });
  const { frames, long } = await page.evaluate(() => {
    const w = window as unknown as { frames_: number[]; long_: number[]; stop_: boolean };
    w.stop_ = true;
    return { frames: w.frames_.slice(1), long: w.long_ };
  });
  // Frame times depend on the machine (on 2 shared cores: a 17-33 ms median on one, 67-100 ms on another the
  // same week, while the same page scrolls at 17 ms when the run is over), so they are recorded here, not
  // asserted; that only the rows in view are rendered is asserted below, whatever the machine.
  const sorted = [...frames].sort((a, b) => a - b);
  const p50 = sorted[Math.floor(sorted.length / 2)]!;
  const p95 = sorted[Math.floor(sorted.length * 0.95)]!;
  test.info().annotations.push({ type: 'frames', description: `${frames.length} frames: median ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, longest ${sorted[sorted.length - 1]!.toFixed(1)} ms; long tasks ${JSON.stringify(long)}` });
  await expect(page.getByTestId('run-detail')).toHaveAttribute('data-status', 'SUCCEEDED');
  expect(await tree.locator('[role="row"][data-path]').count()).toBeLessThan(60);

  // Keyboard to the last task, and it shows.
  await scroller.evaluate((el) => (el.scrollTop = 0));
  await row(page, '#.g1').click();
  await page.keyboard.press('End');
  await expect(row(page, '#.g50.t9')).toBeFocused();
  await expect(row(page, '#.g50.t9')).toHaveAttribute('data-status', 'SUCCEEDED');
  await screenshot(page, 'workflow-500');
});

test('the job editor takes a workflow as JSON: problems by field path beside it, a button to their line, then a run of one task', async ({ page, jobdeck }) => {
  await jobdeck.open(page, '#/jobs/new');
  await page.getByLabel('Name *').fill('Editor workflow');
  await page.getByRole('radio', { name: 'Manual only' }).check();
  await page.getByLabel('Runtime').selectOption('workflow');
  const problems = page.getByTestId('workflow-problems');
  await expect(problems.getByTestId('workflow-live-problem')).toContainText('not valid JSON');
  await problems.getByRole('button', { name: 'Replace with an example workflow' }).click();
  await expect(problems.getByTestId('workflow-summary')).toContainText('4 tasks, 2 levels deep');

  // A condition the engine cannot parse: refused on save, named by its path, with its line.
  const bad = JSON.stringify(
    { tasks: [{ name: 'extract', script: 'echo extracting', subtasks: [{ name: 'eu', script: 'echo eu' }, { name: 'us', script: 'echo us' }, { name: 'asia', script: 'echo asia' }] }, { name: 'report', script: 'echo report', condition: 'params.region ==' }] },
    null,
    2,
  );
  await page.locator('.cm-content').click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(bad);
  await expect(problems.getByTestId('workflow-summary')).toContainText('5 tasks');
  await page.getByRole('button', { name: 'Create job' }).click();
  const saved = problems.locator('[data-field-error="workflow.tasks.1.condition"]');
  await expect(saved).toContainText('workflow.tasks.1.condition');
  const line = bad.split('\n').findIndex((l) => l.includes('"condition"')) + 1;
  await saved.getByRole('button', { name: `Go to line ${line} (workflow.tasks.1.condition)` }).click();
  await expect(page.locator('.cm-activeLine')).toContainText('"condition": "params.region =="');
  await screenshot(page, 'workflow-editor-error');

  // Fixed and saved; Run now offers the whole workflow or one task.
  await page.keyboard.press('End');
  await page.keyboard.press('Shift+Home');
  await page.keyboard.insertText('"condition": "true"');
  await page.getByRole('button', { name: 'Create job' }).click();
  await expect(page.getByRole('heading', { name: 'Editor workflow' })).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Workflow' })).toBeVisible();
  await page.getByRole('button', { name: 'Run now' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByLabel('What to run').locator('option')).toHaveCount(6);
  await dialog.getByLabel('What to run').selectOption('#.extract.us');
  await screenshot(page, 'workflow-run-task');
  await dialog.getByRole('button', { name: 'Run now' }).click();
  await expect(page.getByTestId('run-detail')).toHaveAttribute('data-status', 'SUCCEEDED', { timeout: 30_000 });
  await expect(row(page, '#.extract.us')).toHaveAttribute('data-status', 'SUCCEEDED');
  await expect(row(page, '#.extract.eu')).toHaveAttribute('data-status', 'SKIPPED');
  await expect(row(page, '#.report')).toHaveAttribute('data-status', 'SKIPPED');
});

test("a job's page says what it waits for and whom it notifies", async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  await api.post('/api/jobs', { data: { name: 'load', script: 'true', schedule: { kind: 'manual' } } });
  const job = await (
    await api.post('/api/jobs', {
      data: {
        name: 'report',
        script: 'true',
        schedule: { kind: 'interval', seconds: 300 },
        after: [{ job: 'load', status: 'SUCCEEDED' }],
        gate: { withinMinutes: 60 },
        notify: { rules: [{ event: 'failure', to: ['developers'] }], afterFailures: 1, followUpHours: 1 },
      },
    })
  ).json();
  await jobdeck.open(page, `#/jobs/${job.id}`, 'admin');
  await expect(page.getByTestId('job-after')).toHaveText('load (succeeded): runs at its time only if they succeeded in the last 60 min');
  await expect(page.getByTestId('job-notify')).toHaveText('failure → developers');
  await screenshot(page, 'job-dependencies');
});
