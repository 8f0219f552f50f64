/**
 * The Nodes page against a real `jobdeck serve`: the serve listed with its
 * address and runs in progress; drained from the page, a run triggered then
 * waits (and the page says so), undrained it starts; a viewer sees the list
 * without the buttons.
 */
import { expect, screenshot, test } from './fixtures';

test('the Nodes page lists the serve, drains it (a new run waits) and undrains it (the run starts)', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const job = await (await api.post('/api/jobs', { data: { name: 'quick report', script: 'echo done', schedule: { kind: 'manual' } } })).json();
  await jobdeck.open(page, '#/nodes');
  await expect(page.getByRole('heading', { name: 'Nodes' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Nodes' })).toHaveAttribute('aria-current', 'page');
  const row = page.locator('[data-testid^="node-"]').first();
  await expect(row).toContainText('(this one)');
  await expect(row).toContainText(jobdeck.url);
  await expect(row.getByTestId('node-state')).toHaveText('Alive');

  await row.getByRole('button', { name: 'Drain' }).click();
  await expect(row.getByTestId('node-state')).toHaveText('Drained: safe to stop');
  await expect(page.getByText(/starts no queued run now; runs in progress go on/)).toBeVisible();
  // The scheduler bar says so on every page.
  await expect(page.getByTestId('draining')).toHaveText('· drained');
  const run = await (await api.post(`/api/jobs/${job.id}/runs`, { data: {} })).json();
  await page.waitForTimeout(1000);
  expect((await (await api.get(`/api/runs/${run.id}`)).json()).status).toBe('QUEUED');
  await screenshot(page, 'nodes-drained');

  await row.getByRole('button', { name: 'Undrain' }).click();
  await expect(row.getByTestId('node-state')).toHaveText('Alive');
  await expect(page.getByTestId('draining')).toHaveCount(0);
  expect((await (await api.get(`/api/runs/${run.id}/wait?timeoutSeconds=30`)).json()).status).toBe('SUCCEEDED');
  await screenshot(page, 'nodes');
});

test('a viewer sees the nodes, not the buttons', async ({ page, jobdeck }) => {
  await jobdeck.open(page, '#/nodes', 'viewer');
  const row = page.locator('[data-testid^="node-"]').first();
  await expect(row.getByTestId('node-state')).toHaveText('Alive');
  await expect(page.getByRole('button', { name: 'Drain' })).toHaveCount(0);
});
