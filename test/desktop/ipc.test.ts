/**
 * The desktop app without the Electron binary: the IPC dispatch of the main
 * process, the preload bridge and the renderer's IPC client, wired through
 * an in-memory IPC, with the real engine behind them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { outputDir } from '../../electron/engine/paths';
import { contractSuite } from '../contract/suite';
import { openEngine, recordEngineError, rejection, until } from '../helpers/engine';
import { startTestServer } from '../helpers/server';
import { tempDir } from '../helpers/temp';
import { desktop } from './desktop';

contractSuite('Electron IPC (main dispatch + preload bridge, no binary)', async () => {
  const dataDir = tempDir();
  const engine = Engine.open({ dataDir, killGraceMs: 500, onError: recordEngineError(dataDir) });
  const answers: (string | null)[] = [];
  const d = desktop(engine, answers);
  return {
    client: d.client,
    // A stream cannot cross the bridge: the window saves downloads through the save dialog.
    async download(method, input) {
      const dest = join(tempDir(), 'saved');
      answers.push(dest);
      const saved = method === 'runs.download' ? await d.bridge.saveResultFile(input.id, input.name!) : await d.bridge.saveLog(input.id);
      if (!saved.ok) throw new Error(saved.error.message);
      return readFileSync(dest);
    },
    async close() {
      d.router.close();
      await engine.close(0);
    },
  };
});

describe('desktop main process', () => {
  it('answers bad IPC arguments with typed errors', async () => {
    const { engine } = openEngine();
    const d = desktop(engine);
    expect(await d.bridge.call('jobs.nothing', {})).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', field: 'method' } });
    expect(await d.bridge.call('jobs.get', { id: 'x' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'id' } });
    expect(await d.bridge.saveResultFile(-1, 'x')).toMatchObject({ ok: false, error: { field: 'runId' } });
    expect(await d.bridge.useProfile(42 as never)).toMatchObject({ ok: false, error: { field: 'id' } });
    expect((await d.bridge.connection()).profileId).toBeNull();
  });

  it('saves result files and logs through the save dialog, streamed, or not at all when cancelled', async () => {
    const { engine, client } = openEngine();
    const target = join(tempDir(), 'saved.bin');
    const logTarget = join(tempDir(), 'saved.log');
    const d = desktop(engine, [target, null, logTarget]);
    const job = await client.call('jobs.create', {
      name: 'binary',
      script: 'head -c 50000 /dev/urandom > "$JOBDECK_OUTPUT_DIR/data.bin"; echo done',
      schedule: { kind: 'manual' },
    });
    const run = await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    expect(await d.client.saveResultFile!(run.id, 'data.bin')).toBe(target);
    expect(readFileSync(target).equals(readFileSync(join(outputDir(engine.dataDir, job.id, run.id), 'data.bin')))).toBe(true);
    expect(await d.client.saveResultFile!(run.id, 'data.bin')).toBeNull();
    expect(d.asked).toEqual(['data.bin', 'data.bin']);
    expect((await rejection(d.client.saveResultFile!(run.id, '../../jobdeck.db'))).field).toBe('name');
    expect(await d.client.saveLog!(run.id)).toBe(logTarget);
    expect(readFileSync(logTarget, 'utf8')).toMatch(/ OUT done\n/);
    expect(d.asked[2]).toBe(`binary-run-${run.id}.log`);
    expect(await d.bridge.showRunFolder(run.id)).toEqual({ ok: true, value: null });
    await d.client.showRunFolder!(run.id);
    expect(d.opened).toEqual([run.id, run.id]);
  });

  it('stores remote profiles with encrypted tokens, and switches the transport to them and back', async () => {
    const server = await startTestServer();
    const job = await server.client().call('jobs.create', { name: 'remote job', script: 'echo from-remote', schedule: { kind: 'manual' } });
    const { engine, client: local } = openEngine();
    await local.call('jobs.create', { name: 'local job', script: 'true', schedule: { kind: 'manual' } });
    const d = desktop(engine, [join(tempDir(), 'remote.log')]);

    const bad = await d.bridge.saveProfile({ name: 'x', url: 'ftp://nope' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'url' } });
    const saved = await d.bridge.saveProfile({ name: 'Prod', url: `${server.url}/`, token: server.tokens.admin });
    expect(saved).toMatchObject({ ok: true, value: { name: 'Prod', url: server.url, hasToken: true } });
    const id = (saved as { value: { id: string } }).value.id;
    const file = readFileSync(join((d.profiles as unknown as { file: string }).file), 'utf8');
    expect(file).not.toContain(server.tokens.admin);
    expect(JSON.stringify(await d.bridge.profiles())).not.toContain(server.tokens.admin);

    const changes: (string | null)[] = [];
    // Profile switches (state changes of the remote feed in between are told too).
    d.bridge.onConnection((info) => changes.at(-1) !== info.profileId && changes.push(info.profileId));
    expect(await d.bridge.useProfile(id)).toMatchObject({ ok: true, value: { profileId: id, target: server.url, state: 'open' } });
    expect(await d.client.call('auth.whoami', {})).toEqual({ name: 'admin-user', role: 'admin', expiresAt: null });
    expect((await d.client.call('jobs.list', {})).items.map((j) => j.name)).toEqual(['remote job']);
    // Live events and downloads come from the remote server too.
    const lines: string[] = [];
    const run = await d.client.call('runs.trigger', { jobId: job.id });
    const off = d.client.subscribe({ runId: run.id, afterSeq: 0 }, { onEvent: (e) => e.type === 'log' && lines.push(...e.lines.map((l) => l.text)) });
    await until(() => lines.includes('from-remote'));
    off();
    await until(async () => (await d.client.call('runs.get', { id: run.id })).status === 'SUCCEEDED');
    const saved2 = await d.client.saveLog!(run.id);
    expect(readFileSync(saved2!, 'utf8')).toContain('OUT from-remote');

    // Back to the local engine.
    expect(await d.bridge.useProfile(null)).toMatchObject({ ok: true, value: { profileId: null } });
    expect((await d.client.call('jobs.list', {})).items.map((j) => j.name)).toEqual(['local job']);
    await until(() => changes.length >= 2);
    expect(changes).toEqual([id, null]);

    // A refused token says so, and the window stays on the local engine.
    await d.bridge.saveProfile({ id, name: 'Prod', url: server.url, token: 'jd_wrong_token_value' });
    const refused = await d.bridge.useProfile(id);
    expect(refused).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED', message: expect.stringContaining('the server refused the token') } });
    expect((await d.bridge.connection()).profileId).toBeNull();
    expect(await d.bridge.removeProfile(id)).toEqual({ ok: true, value: null });
    expect(await d.bridge.profiles()).toEqual([]);
    d.router.close();
  });

  it('drops the subscriptions of a closed window', async () => {
    const { engine, client } = openEngine();
    const d = desktop(engine);
    d.client.subscribe({}, { onEvent: () => {} });
    await until(() => engine.listenerCount === 1);
    d.ipc.destroy();
    expect(engine.listenerCount).toBe(0);
    void client;
    expect(existsSync(engine.dataDir)).toBe(true);
  });
});
