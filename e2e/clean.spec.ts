/**
 * Every screen of the console loads with no error in the browser's console
 * and no Content-Security-Policy violation (the policy has no
 * 'unsafe-inline' and no 'unsafe-eval').
 */
import { expect, test } from './fixtures';

test('every screen loads without console errors or policy violations', async ({ page, jobdeck }) => {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`CSP violation on ${location.hash}: ${e.violatedDirective} ${e.blockedURI} ${e.sample} (${e.sourceFile}:${e.lineNumber})`),
    );
  });
  const api = await jobdeck.api();
  const job = await (await api.post('/api/jobs', { data: { name: 'clean', script: 'echo hi; echo "::progress 50 half"; echo a,b > "$JOBDECK_OUTPUT_DIR/t.csv"', schedule: { kind: 'manual' } } })).json();
  const run = await (await api.post(`/api/jobs/${job.id}/runs`, { data: {} })).json();
  await (await api.get(`/api/runs/${run.id}/wait?timeoutSeconds=30`)).json();
  await jobdeck.open(page, '#/jobs');
  const csp = (await page.request.get(`${jobdeck.url}/`)).headers()['content-security-policy'];
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toContain('unsafe-eval');
  for (const hash of ['#/', '#/jobs', `#/jobs/${job.id}`, '#/jobs/new', '#/runs', `#/runs/${run.id}`, '#/audit']) {
    await page.goto(`${jobdeck.url}/${hash}`);
    await expect(page.locator('[data-app-state="ready"]')).toBeVisible();
    await page.waitForTimeout(500);
  }
  await page.goto(`${jobdeck.url}/#/runs/${run.id}`);
  await page.getByRole('button', { name: /preview/i }).first().click().catch(() => undefined);
  await page.waitForTimeout(500);
  expect(problems).toEqual([]);
});
