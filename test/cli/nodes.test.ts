/**
 * `jobdeck nodes` against a real `jobdeck serve`: the serve listed with its
 * URL, drained (its queued runs wait) and undrained (they start), the node
 * listed stopped once it exits; unknown nodes and missing arguments get
 * their exit codes, and nothing goes to standard error when all is well.
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { serve } from '../helpers/serveProcess';
import { tempDir } from '../helpers/temp';

describe('jobdeck nodes', () => {
  it('lists the serve, drains and undrains it, and shows it stopped once it exits', async () => {
    const dataDir = tempDir();
    const empty = await cli(['nodes'], { dataDir });
    expect([empty.code, empty.stderr, empty.stdout]).toEqual([0, '', 'No node has served this store yet (a serve or the desktop app registers as it starts scheduling).\n']);
    const token = (await cli(['users', 'add', 'ops', '--role', 'superadmin'], { dataDir })).stdout.trim();
    await cli(['jobs', 'add', '--name', 'quick', '--script', '-', '--manual'], { dataDir, input: 'echo quick\n' });
    const { child, url } = await serve([], dataDir);
    const remote = (args: string[]) => cli(['--server', url, '--token', token, ...args]);

    const listed = await remote(['nodes']);
    expect(listed.stderr).toBe('');
    expect(listed.stdout).toMatch(new RegExp(`^NODE +ADDRESS +VERSION +HOST +STARTED +HEARTBEAT +RUNNING +STATE\\n\\S+ +${url.replace(/[.]/g, '\\.')} +0\\.1\\.0 .* 0 +alive \\(answering\\)\\n$`));
    const [node] = JSON.parse((await remote(['nodes', 'list', '--json'])).stdout) as { id: string }[];

    const drained = await remote(['nodes', 'drain', node!.id]);
    expect([drained.code, drained.stderr]).toEqual([0, '']);
    expect(drained.stdout).toBe(`Node ${node!.id} starts no queued run from now; 0 runs in progress go on. Stop it once they have ended (jobdeck nodes).\n`);
    // Triggered through the API (jobdeck run would wait for its end).
    const triggered = await fetch(`${url}/api/jobs/1/runs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    const queuedId = ((await triggered.json()) as { id: number }).id;
    expect(queuedId).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1000));
    expect(JSON.parse((await remote(['runs', 'show', String(queuedId), '--json'])).stdout).status).toBe('QUEUED');
    expect((await remote(['nodes'])).stdout).toMatch(/alive, draining \(answering\)/);

    const undrained = await remote(['nodes', 'undrain', node!.id]);
    expect([undrained.code, undrained.stdout, undrained.stderr]).toEqual([0, `Node ${node!.id} starts queued runs again.\n`, '']);
    const followed = await remote(['runs', 'follow', String(queuedId)]);
    expect(followed.code).toBe(0);

    const unknown = await remote(['nodes', 'drain', 'nobody']);
    expect([unknown.code, unknown.stdout, unknown.stderr]).toEqual([3, '', `jobdeck: ${url}: no node nobody\n`]);
    const missing = await remote(['nodes', 'drain']);
    expect(missing.code).toBe(2);

    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const after = await cli(['nodes', '--json'], { dataDir });
    expect(JSON.parse(after.stdout)).toEqual([expect.objectContaining({ id: node!.id, address: url, state: 'stopped', self: false })]);
  });
});
