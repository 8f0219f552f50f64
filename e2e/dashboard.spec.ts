/**
 * The dashboard, drawn from real runs on a real server: failing jobs with
 * their last stderr line, a run in progress with its progress and lock, the
 * next fires, charts of the week, every item a link; it follows the engine
 * live.
 */
import { expect, screenshot, test } from './fixtures';

test('the dashboard: failures with their last line, a run in progress with its lock, next fires, charts; live, and every item a link', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const create = async (data: object) => (await api.post('/api/jobs', { data })).json();
  const runToEnd = async (jobId: number) => {
    const run = await (await api.post(`/api/jobs/${jobId}/runs`, { data: {} })).json();
    return (await api.get(`/api/runs/${run.id}/wait?timeoutSeconds=30`)).json();
  };
  const fine = await create({ name: 'nightly backup', script: 'echo ok', schedule: { kind: 'manual' } });
  const broken = await create({ name: 'invoice export', script: 'echo start; echo "ERROR: SFTP login refused" >&2; exit 4', schedule: { kind: 'manual' } });
  const slow = await create({ name: 'reindex', script: 'echo "::progress 25 table 1 of 4"; sleep 60', schedule: { kind: 'manual' }, lock: 'database' });
  await create({ name: 'every five minutes', script: 'true', schedule: { kind: 'interval', seconds: 300 } });
  await runToEnd(fine.id);
  await runToEnd(fine.id);
  const failed = await runToEnd(broken.id);
  const running = await (await api.post(`/api/jobs/${slow.id}/runs`, { data: {} })).json();

  await jobdeck.open(page, '#/');
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Dashboard' })).toHaveAttribute('aria-current', 'page');
  const cards = page.getByRole('list', { name: 'Jobs by last run' });
  await expect(cards.getByRole('link', { name: '4 jobs: show these jobs' })).toBeVisible();
  await expect(cards.getByRole('link', { name: '1 last run failed: show these jobs' })).toBeVisible();

  const failing = page.getByTestId('failing-jobs');
  await expect(failing).toContainText('invoice export');
  await expect(failing).toContainText('ERROR: SFTP login refused');
  await expect(failing.getByRole('link', { name: `run #${failed.id}` })).toHaveAttribute('href', `#/runs/${failed.id}`);

  const inProgress = page.locator(`[data-testid="running-runs"] [data-run="${running.id}"]`);
  await expect(inProgress).toContainText('reindex');
  await expect(inProgress).toContainText('table 1 of 4');
  await expect(inProgress.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '25');
  await expect(inProgress).toContainText(/left|no estimate/);
  await expect(page.getByTestId('locks-held')).toContainText('database');
  await expect(page.getByTestId('next-fires')).toContainText('every five minutes');
  await expect(page.getByTestId('next-fires')).toContainText(/in \d+ (s|min)/);
  // The charts are drawn from the runs: bars for this hour, and their totals in words.
  await expect(page.getByTestId('chart-runs-per-hour')).toContainText('4 runs in 7 days, 1 failed');
  await expect(page.getByTestId('chart-runs-per-hour').locator('.recharts-bar-rectangle').first()).toBeVisible();
  await expect(page.getByTestId('chart-failures-per-day')).toContainText(/most on .+: 1 of 4/);
  await expect(page.getByRole('table', { name: 'Slowest jobs (7 days)' })).toContainText('nightly backup');
  await expect(page.getByTestId('dash-scheduler')).toHaveText('running');
  await screenshot(page, 'dashboard-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'dashboard-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  // Live: a second failure shows up without a reload, first (most recent).
  const other = await create({ name: 'ledger sync', script: 'echo "ledger locked" >&2; exit 1', schedule: { kind: 'manual' } });
  await runToEnd(other.id);
  await expect(failing.locator('li').first()).toContainText('ledger sync');
  await expect(cards.getByRole('link', { name: '2 last run failed: show these jobs' })).toBeVisible();
  // The run in progress ends: it leaves the list, and its lock is released.
  await api.post(`/api/runs/${running.id}/cancel`, { data: {} });
  await expect(inProgress).toHaveCount(0);
  await expect(page.getByText('No lock is held.')).toBeVisible();

  // A card opens the job list filtered; a failing job's name opens its page.
  await cards.getByRole('link', { name: /last run failed/ }).click();
  await expect(page).toHaveURL(/#\/jobs$/);
  await expect(page.locator('[data-job]')).toHaveCount(2);
  await page.goBack();
  await failing.getByRole('link', { name: 'invoice export' }).click();
  await expect(page).toHaveURL(new RegExp(`#/jobs/${broken.id}$`));
});
