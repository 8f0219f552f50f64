/**
 * The console at the sizes support engineers use it: a 1024-wide window
 * beside a terminal, a 1280×720 laptop, a 4K screen. No page scrolls
 * sideways (tables scroll inside their panel), the main actions stay on
 * screen, and the screenshots are kept to look at.
 */
import { expect, screenshot, test } from './fixtures';

const SIZES = [
  { name: '1024', width: 1024, height: 768 },
  { name: '1280', width: 1280, height: 720 },
  { name: '4k', width: 3840, height: 2160 },
];

test('every page fits from a 1024-wide window to 4K: nothing scrolls sideways, the actions stay visible', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const job = await (
    await api.post('/api/jobs', {
      data: {
        name: 'a job with a rather long name to see how the header copes with it',
        script: 'echo "name,total" > "$JOBDECK_OUTPUT_DIR/r.csv"; echo "::result r.csv"; echo "a long line of output that goes on and on and on and on and on and on and on and on and on and on and on and on and on and on and on"',
        schedule: { kind: 'cron', expression: '0 */15 * * * *', timezone: 'Europe/Berlin' },
      },
    })
  ).json();
  const run = await (await api.post(`/api/jobs/${job.id}/runs`, { data: {} })).json();
  await api.get(`/api/runs/${run.id}/wait?timeoutSeconds=30`);
  await jobdeck.open(page, '#/');
  const pages: [string, string, string | null][] = [
    ['dashboard', '#/', null],
    ['jobs', '#/jobs', '+ New job'],
    ['job', `#/jobs/${job.id}`, 'Delete…'],
    ['job-settings', `#/jobs/${job.id}/settings`, 'Save changes'],
    ['runs', '#/runs', null],
    ['run', `#/runs/${run.id}`, 'All runs of this job'],
    ['audit', '#/audit', null],
    ['notifications', '#/notifications', null],
    ['nodes', '#/nodes', 'Drain'],
  ];
  const problems: string[] = [];
  for (const size of SIZES) {
    await page.setViewportSize({ width: size.width, height: size.height });
    for (const [name, hash, action] of pages) {
      await page.goto(`${jobdeck.url}/${hash}`);
      await expect(page.locator('[data-app-state="ready"]')).toBeVisible();
      await expect(page.locator('main h2').first()).toBeAttached();
      await page.waitForTimeout(200);
      const overflow = await page.evaluate(() => {
        const root = document.scrollingElement!;
        const wide = [...document.querySelectorAll('main *')].filter((el) => el.getBoundingClientRect().right > root.clientWidth + 1 && getComputedStyle(el).position !== 'fixed').slice(0, 3);
        return { scroll: root.scrollWidth - root.clientWidth, wide: wide.map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`) };
      });
      if (overflow.scroll > 0) problems.push(`${size.name} ${name}: scrolls sideways by ${overflow.scroll}px (${overflow.wide.join(', ')})`);
      if (action) {
        const button = page.getByRole('button', { name: action, exact: true }).or(page.getByRole('link', { name: action, exact: true })).first();
        const box = await button.boundingBox({ timeout: 5000 }).catch(() => null);
        if (!box || box.x < 0 || box.x + box.width > size.width) problems.push(`${size.name} ${name}: "${action}" is off screen`);
      }
      await screenshot(page, `size-${size.name}-${name}`);
    }
  }
  expect(problems).toEqual([]);
});
