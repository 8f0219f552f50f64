/**
 * Honest state: the console says at once when its server goes away, keeps
 * the last data greyed instead of claiming there is none, does not show the
 * scheduler as running while it cannot know, and is live again when the
 * server is back. A paused scheduler's next fires are struck through.
 */
import { expect, screenshot, test } from './fixtures';

test('a server that goes away: a banner with the retry, the last data greyed, the scheduler unknown; back, live again', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const job = await (await api.post('/api/jobs', { data: { name: 'nightly report', script: 'echo done', schedule: { kind: 'manual' } } })).json();
  const first = await (await api.post(`/api/jobs/${job.id}/runs`, { data: {} })).json();
  await api.get(`/api/runs/${first.id}/wait?timeoutSeconds=30`);

  await jobdeck.open(page, '#/runs');
  const rows = page.getByRole('table', { name: 'Runs' }).getByRole('row').filter({ hasText: 'nightly report' });
  await expect(rows).toHaveCount(1);
  await expect(page.getByTestId('scheduler-state')).toHaveText('Scheduler running');

  await jobdeck.stop();
  const banner = page.getByTestId('connection-banner');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText(`Connection to ${new URL(jobdeck.url).host} lost`);
  await expect(banner).toContainText(/Trying again in \d+ s\.|Reconnecting…/);
  await expect(banner).toContainText('greyed until it is back');
  // The last data stays, greyed; nothing claims there are no runs; the scheduler is not shown as running.
  await expect(page.locator('main')).toHaveAttribute('data-stale', 'true');
  await expect(rows).toHaveCount(1);
  await expect(page.getByText('No runs match.')).toHaveCount(0);
  await expect(page.getByTestId('scheduler-state')).toHaveText('Scheduler unknown (disconnected)');
  await screenshot(page, 'connection-lost');
  // Retry now while it is still down: it tries, and says so again.
  await banner.getByRole('button', { name: 'Retry now' }).click();
  await expect(banner).toBeVisible();

  await jobdeck.start();
  // Retry now until the feed is back: an attempt already in flight when the server returns hides the
  // banner while it connects (nothing to click then), and one that failed just before waits its back-off.
  await expect(async () => {
    if (await banner.isVisible()) await banner.getByRole('button', { name: 'Retry now' }).click({ timeout: 2_000 });
    await expect(banner).toBeHidden({ timeout: 3_000 });
  }).toPass({ timeout: 40_000 });
  await expect(page.locator('main')).not.toHaveAttribute('data-stale', 'true');
  await expect(page.getByTestId('scheduler-state')).toHaveText('Scheduler running');
  // Live again: a run started now shows up without a reload.
  const second = await (await api.post(`/api/jobs/${job.id}/runs`, { data: {} })).json();
  await expect(page.locator(`[data-run="${second.id}"]`)).toBeVisible();
});

test('a paused scheduler shows its next fires struck through, and says none will fire', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  await api.post('/api/jobs', { data: { name: 'every minute', script: 'true', schedule: { kind: 'interval', seconds: 60 } } });
  await jobdeck.open(page, '#/jobs');
  const row = page.locator('[data-job="every minute"]');
  await expect(row).toContainText(/in \d+ s|in 1 min/);
  await api.post('/api/scheduler/pause', { data: {} });
  await expect(page.getByTestId('scheduler-state')).toHaveText('Scheduler paused');
  await expect(row.locator('.next-paused')).toBeVisible();
  await expect(row).toContainText('paused');
  await page.getByRole('button', { name: 'Scheduler ▾' }).click();
  await expect(page.getByRole('region', { name: 'Scheduler details' })).toContainText('Paused: none of these fires until the scheduler is resumed');
  await expect(page.getByTestId('next-fires').locator('li.next-paused')).toHaveCount(1);
  await screenshot(page, 'scheduler-paused');
  await api.post('/api/scheduler/resume', { data: {} });
  await expect(row.locator('.next-paused')).toHaveCount(0);
});

test('breaking a lock whose run still executes warns, naming the run, and breaks it only when confirmed', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const job = await (await api.post('/api/jobs', { data: { name: 'db maintenance', script: 'sleep 30', schedule: { kind: 'manual' }, lock: 'db' } })).json();
  const run = await (await api.post(`/api/jobs/${job.id}/runs`, { data: {} })).json();
  await expect.poll(async () => (await (await api.get('/api/locks')).json()).length).toBe(1);
  await jobdeck.open(page, '#/jobs');
  await page.getByRole('button', { name: 'Scheduler ▾' }).click();
  const details = page.getByRole('region', { name: 'Scheduler details' });
  await expect(details).toContainText(`db by run ${run.id} (db maintenance)`);
  await details.getByRole('button', { name: 'Break lock' }).click();
  const dialog = page.getByRole('dialog', { name: 'Break lock db?' });
  await expect(dialog).toContainText(`Run ${run.id} of db maintenance still executes and holds this lock.`);
  await screenshot(page, 'break-held-lock');
  await dialog.getByRole('button', { name: 'Keep it' }).click();
  expect((await (await api.get('/api/locks')).json()).length).toBe(1);
  // The details stay open behind the dialog.
  await details.getByRole('button', { name: 'Break lock' }).click();
  await page.getByRole('dialog', { name: 'Break lock db?' }).getByRole('button', { name: 'Break it anyway' }).click();
  await expect.poll(async () => (await (await api.get('/api/locks')).json()).length).toBe(0);
  await api.post(`/api/runs/${run.id}/cancel`, { data: {} });
});
