/**
 * Following a remote run through a network that drops: `jobdeck run NAME
 * --server` and `jobdeck runs follow RUN --server` print every line exactly
 * once across the cut, say that they lost and regained the connection, and
 * exit with the run's exit code. Locally, `runs follow` reads a run that a
 * serve process executes.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli, type CliResult } from '../helpers/cli';
import { serve } from '../helpers/serveProcess';
import { tcpProxy } from '../helpers/tcpProxy';
import { tempDir } from '../helpers/temp';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LINES = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);

/** The CLI in the background: its output so far, and its end. */
function start(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { out: () => stdout, done };
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function setup() {
  const dataDir = tempDir();
  const token = (await cli(['users', 'add', 'ops', '--role', 'admin'], { dataDir })).stdout.trim();
  const script = join(tempDir(), 'ticker.sh');
  writeFileSync(script, 'i=1\nwhile [ $i -le 30 ]; do echo "line $i"; i=$((i+1)); sleep 0.1; done\nexit 3\n');
  expect((await cli(['jobs', 'add', '--name', 'ticker', '--script', script, '--manual'], { dataDir })).code).toBe(0);
  const { url } = await serve([], dataDir);
  const proxy = await tcpProxy(url);
  return { dataDir, token, url, proxy };
}

describe('following a remote run through a dropped connection', () => {
  it('jobdeck run NAME --server prints each line once across a cut and exits with the run exit code', async () => {
    const { token, proxy } = await setup();
    const run = start(['--server', proxy.url, '--token', token, 'run', 'ticker']);
    await until(() => run.out().includes('line 5\n'), 'line 5');
    proxy.cut();
    await sleep(1500);
    proxy.restore();
    const r = await run.done;
    expect(r.stdout).toBe(`${LINES.join('\n')}\n`);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`[jobdeck] lost the connection to ${proxy.url}; reconnecting`);
    expect(r.stderr).toMatch(/\[jobdeck\] reconnected to .*; resuming after line \d+/);
    expect(r.stderr).toMatch(/Run 1 FAILED .*exit code 3/);
  }, 60_000);

  it('jobdeck runs follow RUN --server streams a run started elsewhere, and local runs follow reads one a serve executes', async () => {
    const { token, url, proxy, dataDir } = await setup();
    const trigger = await fetch(`${url}/api/jobs/1/runs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    expect(trigger.status).toBeLessThan(300);
    const follow = start(['--server', proxy.url, '--token', token, 'runs', 'follow', '1']);
    const local = start(['--data-dir', dataDir, 'runs', 'follow', '1']);
    await until(() => follow.out().includes('line 3\n'), 'line 3');
    proxy.cut();
    await sleep(2500);
    proxy.restore();
    const [r, l] = await Promise.all([follow.done, local.done]);
    expect(r.stdout).toBe(`${LINES.join('\n')}\n`);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('lost the connection');
    expect(r.stderr).toContain('reconnected');
    expect(l).toMatchObject({ code: 3, stdout: `${LINES.join('\n')}\n` });
    expect(l.stderr).toMatch(/\[jobdeck\] Finished FAILED in .*\nRun 1 FAILED in .* \(exit code 3\)\n$/);
    // An ended run: its whole log at once, then the same exit code.
    const again = await cli(['--server', url, '--token', token, 'runs', 'follow', '1']);
    expect(again).toMatchObject({ code: 3, stdout: `${LINES.join('\n')}\n` });
    const missing = await cli(['--server', url, '--token', token, 'runs', 'follow', '99']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toBe(`jobdeck: ${url}: run 99 was not found\n`);
  }, 60_000);
});
