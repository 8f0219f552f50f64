/**
 * First start in one command: `jobdeck serve` on an empty data folder makes
 * a superadmin and prints a link that signs the browser in once; the secret
 * leaves the address bar, and the same link a second time is refused,
 * saying what to do instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, screenshot, startServe, stopServe, test } from './fixtures';

test('an empty data folder: serve prints a one-time sign-in link that opens the console as its superadmin', async ({ browser }) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'jobdeck-first-'));
  const server = await startServe(dataDir);
  try {
    const link = /^ {2}(http:\/\/\S+\/#signin=\S+)$/m.exec(server.stderr())?.[1];
    expect(server.stderr()).toContain('First start: created the superadmin "admin"');
    expect(link).toBeTruthy();

    const page = await (await browser.newContext()).newPage();
    await page.goto(link!);
    await expect(page.locator('[data-app-state="ready"]')).toBeVisible();
    await expect(page.getByLabel('Connection')).toContainText('admin');
    expect(new URL(page.url()).hash).toBe('#/');
    await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
    await screenshot(page, 'first-start');

    const again = await (await browser.newContext()).newPage();
    await again.goto(link!);
    await expect(again.locator('[data-app-state="signed-out"]')).toBeVisible();
    await expect(again.getByRole('alert')).toContainText('this sign-in link has expired or has been used already');
    expect(new URL(again.url()).hash).not.toContain('signin');
  } finally {
    await stopServe(server.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
