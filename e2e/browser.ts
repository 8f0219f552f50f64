/**
 * Finds a Chromium the way a user's machine has one: PLAYWRIGHT_CHROMIUM_PATH,
 * a system Chromium or Chrome, or Playwright's own installed browser.
 */
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

const SYSTEM = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
];

export function findChromium(): string {
  const fromEnv = process.env.PLAYWRIGHT_CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`PLAYWRIGHT_CHROMIUM_PATH is ${fromEnv}, but there is no file there.`);
    return fromEnv;
  }
  for (const path of SYSTEM) if (existsSync(path)) return path;
  try {
    const own = chromium.executablePath();
    if (own && existsSync(own)) return own;
  } catch {
    /* not installed */
  }
  throw new Error(
    'No Chromium or Chrome found for the browser tests. Install one: `apt-get install -y chromium` (Debian/Ubuntu), ' +
      '`npx playwright install chromium`, or set PLAYWRIGHT_CHROMIUM_PATH to a Chromium or Chrome binary.',
  );
}

/** Flags for a headless run as root on a machine with no network beyond loopback. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
