// Renders the app icon (resources/icon.png, 512 px) and the tray icon
// (resources/tray.png, 32 px) from one SVG with the system's Chromium.
//   node scripts/render-icons.mjs
import { chromium } from '@playwright/test';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
/** @param {number} size */
const svg = (size) => `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 64 64">
  <rect x="2" y="2" width="60" height="60" rx="14" fill="#2358c8"/>
  <rect x="14" y="16" width="36" height="6" rx="3" fill="#ffffff" opacity="0.95"/>
  <rect x="14" y="29" width="26" height="6" rx="3" fill="#ffffff" opacity="0.8"/>
  <rect x="14" y="42" width="16" height="6" rx="3" fill="#56d364"/>
  <circle cx="46" cy="45" r="6" fill="none" stroke="#ffffff" stroke-width="3"/>
</svg>`;

const browser = await chromium.launch({ executablePath: process.env.PLAYWRIGHT_CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
for (const [file, size] of /** @type {[string, number][]} */ ([['icon.png', 512], ['tray.png', 32]])) {
  const page = await browser.newPage({ viewport: { width: size, height: size } });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg(size)}</body></html>`);
  await page.screenshot({ path: join(root, 'resources', file), omitBackground: true });
  await page.close();
}
await browser.close();
