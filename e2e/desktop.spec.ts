/**
 * The desktop app end to end (Playwright's Electron driver): create a job,
 * run it, watch its log, save its result file through the save dialog.
 * Runs wherever an Electron binary is installed (a normal `npm install`, or
 * ELECTRON_OVERRIDE_DIST_PATH); elsewhere it is skipped, and it never makes
 * the electron package download its binary.
 */
import { _electron as electron, expect, test } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

/** The Electron binary if one is installed, found without touching the electron package's downloader. */
function electronBinary(): string | null {
  const pkg = join(ROOT, 'node_modules', 'electron');
  const pathTxt = join(pkg, 'path.txt');
  const fallback = process.platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : process.platform === 'win32' ? 'electron.exe' : 'electron';
  const rel = existsSync(pathTxt) ? readFileSync(pathTxt, 'utf8').trim() : fallback;
  const base = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(pkg, 'dist');
  const candidate = join(base, rel);
  return existsSync(candidate) ? candidate : null;
}

const binary = electronBinary();

test.describe('desktop app', () => {
  test.skip(
    binary === null,
    'No Electron binary on this machine (node_modules/electron/dist is empty and ELECTRON_OVERRIDE_DIST_PATH is not set), so the desktop spec is skipped. ' +
      'On a machine that can download Electron: npm install && npm test.',
  );

  test('creates a job, runs it, follows its log and saves its result file with the save dialog', async () => {
    const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-electron-native.mjs')], { stdio: 'inherit' });
    expect(built.status, 'building better-sqlite3 for Electron').toBe(0);
    const userData = mkdtempSync(join(tmpdir(), 'jobdeck-desktop-'));
    const app = await electron.launch({
      executablePath: binary!,
      args: [ROOT],
      env: { ...process.env, JOBDECK_USER_DATA_DIR: userData },
    });
    try {
      const target = join(userData, 'saved-report.csv');
      await app.evaluate(({ dialog }, filePath) => {
        dialog.showSaveDialog = (async () => ({ canceled: false, filePath })) as typeof dialog.showSaveDialog;
      }, target);
      const page = await app.firstWindow();
      await expect(page.locator('[data-app-state="ready"]')).toBeVisible();
      await expect(page.getByTestId('connection-target')).toHaveText('Local engine');
      await page.evaluate(() => (location.hash = '#/jobs/new'));
      await page.getByLabel('Name *').fill('desktop job');
      await page.locator('.cm-content').click();
      await page.keyboard.press('ControlOrMeta+a');
      await page.keyboard.press('Delete');
      await page.keyboard.insertText('echo "::progress 50 half"\nprintf "a,b\\n1,2\\n" > "$JOBDECK_OUTPUT_DIR/report.csv"\necho done\n');
      await page.getByRole('radio', { name: 'Manual only' }).check();
      await page.getByRole('button', { name: 'Create job' }).click();
      await page.getByRole('button', { name: 'Run now' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Run now' }).click();
      await expect(page.getByTestId('log-view')).toContainText('done');
      await expect(page.getByTestId('run-detail')).toHaveAttribute('data-status', 'SUCCEEDED');
      await page.locator('[data-file="report.csv"]').getByRole('button', { name: 'Save…' }).click();
      await expect(page.getByText(`Saved to ${target}`)).toBeVisible();
      expect(readFileSync(target, 'utf8')).toBe('a,b\n1,2\n');
    } finally {
      await app.close();
      rmSync(userData, { recursive: true, force: true });
    }
  });
});
