/**
 * Every page of the console, in the light and the dark theme: no serious or
 * critical accessibility violation reported by axe-core, and a screenshot of
 * each saved as a test artifact (test-results/screens/pages-*).
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, screenshot, test } from './fixtures';

test('every page in both themes: no serious or critical axe-core violations', async ({ page, jobdeck }) => {
  test.setTimeout(180_000);
  const api = await jobdeck.api();
  const job = await (
    await api.post('/api/jobs', {
      data: {
        name: 'quarterly report',
        script: 'echo "::progress 50 half"; echo "name,total" > "$JOBDECK_OUTPUT_DIR/report.csv"; echo "north,12" >> "$JOBDECK_OUTPUT_DIR/report.csv"; echo "::result report.csv"; echo oops >&2; exit 2',
        schedule: { kind: 'cron', expression: '0 6 * * 1-5', timezone: 'Europe/Paris' },
        lock: 'reports',
      },
    })
  ).json();
  const run = await (await api.post(`/api/jobs/${job.id}/runs`, { data: {} })).json();
  await api.get(`/api/runs/${run.id}/wait?timeoutSeconds=30`);
  await jobdeck.open(page, '#/');
  const pages: [string, string][] = [
    ['dashboard', '#/'],
    ['jobs', '#/jobs'],
    ['job', `#/jobs/${job.id}`],
    ['job-runs', `#/jobs/${job.id}/runs`],
    ['job-script', `#/jobs/${job.id}/script`],
    ['job-settings', `#/jobs/${job.id}/settings`],
    ['job-audit', `#/jobs/${job.id}/audit`],
    ['job-new', '#/jobs/new'],
    ['runs', '#/runs'],
    ['run', `#/runs/${run.id}`],
    ['audit', '#/audit'],
    ['notifications', '#/notifications'],
    ['nodes', '#/nodes'],
  ];
  const found: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [name, hash] of pages) {
      await page.goto(`${jobdeck.url}/${hash}`);
      await expect(page.locator('[data-app-state="ready"]')).toBeVisible();
      await expect(page.locator('main h2').first()).toBeVisible();
      await page.waitForTimeout(300);
      const result = await new AxeBuilder({ page }).analyze();
      for (const v of result.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical'))
        found.push(`${scheme} ${name}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} ${n.html.slice(0, 160)} ${n.failureSummary ?? ''}`).join(' | ')}`);
      await screenshot(page, `pages-${name}-${scheme}`);
    }
  }
  expect(found).toEqual([]);
});

test('the dialogs: delete confirmation, run now, CSV preview — no serious or critical axe-core violations in either theme', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const job = await (
    await api.post('/api/jobs', {
      data: {
        name: 'csv maker',
        script: 'printf "region,total\\nnorth,12\\nsouth,7\\n" > "$JOBDECK_OUTPUT_DIR/totals.csv"; echo "::result totals.csv"',
        schedule: { kind: 'manual' },
        params: [{ name: 'verbose', type: 'boolean', default: false }],
      },
    })
  ).json();
  const run = await (await api.post(`/api/jobs/${job.id}/runs`, { data: {} })).json();
  await api.get(`/api/runs/${run.id}/wait?timeoutSeconds=30`);
  const found: string[] = [];
  const check = async (label: string) => {
    const result = await new AxeBuilder({ page }).include('dialog[open]').analyze();
    for (const v of result.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical'))
      found.push(`${label}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} ${n.failureSummary ?? ''}`).join(' | ')}`);
    await screenshot(page, `dialog-${label}`);
  };
  await jobdeck.open(page, `#/jobs/${job.id}`);
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`${jobdeck.url}/#/jobs/${job.id}`);
    await page.getByRole('button', { name: 'Delete…' }).click();
    await expect(page.getByRole('dialog')).toBeVisible();
    await check(`delete-${scheme}`);
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Run now' }).click();
    await expect(page.getByRole('dialog')).toBeVisible();
    await check(`run-now-${scheme}`);
    await page.keyboard.press('Escape');
    await page.goto(`${jobdeck.url}/#/runs/${run.id}`);
    await page.locator('[data-file="totals.csv"]').getByRole('button', { name: 'Preview' }).click();
    await expect(page.getByTestId('csv-preview')).toBeVisible();
    await page.getByTestId('csv-preview').getByRole('button', { name: 'total' }).click();
    await check(`csv-${scheme}`);
    await page.keyboard.press('Escape');
  }
  expect(found).toEqual([]);
});
