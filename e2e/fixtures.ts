/**
 * Each test gets its own `jobdeck serve` on a fresh data folder, started the
 * way a user starts it, with a superadmin, an admin and a viewer.
 */
import { test as base, expect, type APIRequestContext, type Page } from '@playwright/test';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'jobdeck.cjs');
export const SCREENS = join(ROOT, 'test-results', 'screens');

export interface Jobdeck {
  url: string;
  dataDir: string;
  tokens: { superadmin: string; admin: string; viewer: string };
  /** API requests as a role. */
  api(role?: 'superadmin' | 'admin' | 'viewer'): Promise<APIRequestContext>;
  /** Signs the page in (session cookie) and opens a screen. */
  open(page: Page, hash?: string, role?: 'superadmin' | 'admin' | 'viewer'): Promise<void>;
  /** Stops the server (SIGTERM, as a service manager does), as a user's server goes away. */
  stop(): Promise<void>;
  /** Starts it again on the same address and data folder. */
  start(): Promise<void>;
}

/** Starts `jobdeck serve`; resolves once it prints its URL. */
export async function startServe(dataDir: string, port = 0): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--log-level', 'silent', '--grace', '2'], {
    env: { ...process.env, JOBDECK_DATA_DIR: dataDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /console\s+(\S+?)\/\n/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`jobdeck serve exited (${code}): ${err}`)));
  });
  return { child, url, stderr: () => err };
}

export async function stopServe(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function cli(args: string[], dataDir: string): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, JOBDECK_DATA_DIR: dataDir }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`jobdeck ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

export const test = base.extend<{ jobdeck: Jobdeck }>({
  jobdeck: async ({ playwright }, use) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jobdeck-e2e-'));
    const tokens = {
      superadmin: cli(['users', 'add', 'alice', '--role', 'superadmin'], dataDir),
      admin: cli(['users', 'add', 'bob', '--role', 'admin'], dataDir),
      viewer: cli(['users', 'add', 'vera', '--role', 'viewer'], dataDir),
    };
    const started = await startServe(dataDir);
    const url = started.url;
    let child = started.child;
    const contexts: APIRequestContext[] = [];
    const jobdeck: Jobdeck = {
      url,
      dataDir,
      tokens,
      async api(role = 'superadmin') {
        const ctx = await playwright.request.newContext({ baseURL: url, extraHTTPHeaders: { authorization: `Bearer ${tokens[role]}` } });
        contexts.push(ctx);
        return ctx;
      },
      async open(page, hash = '#/jobs', role = 'superadmin') {
        const res = await page.request.post(`${url}/api/session`, { data: { token: tokens[role] } });
        expect(res.ok()).toBe(true);
        await page.goto(`${url}/${hash}`);
        await expect(page.locator('[data-app-state="ready"]')).toBeVisible();
      },
      async stop() {
        await stopServe(child);
      },
      async start() {
        ({ child } = await startServe(dataDir, Number(new URL(url).port)));
      },
    };
    await use(jobdeck);
    for (const c of contexts) await c.dispose();
    await stopServe(child);
    rmSync(dataDir, { recursive: true, force: true });
  },
});

export { expect };

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENS, { recursive: true });
  await page.screenshot({ path: join(SCREENS, `${name}.png`) });
}
