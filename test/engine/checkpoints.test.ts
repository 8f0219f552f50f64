/**
 * WAL checkpoints on a worker thread (store/checkpointer.ts): a scheduling
 * engine's commits never run SQLite's checkpoint, the worker copies the log
 * into the database, closing leaves no log and no thread, and a worker that
 * fails or dies hands checkpoints back to the engine's connection.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dbFile } from '../../electron/engine/paths';
import { Checkpointer } from '../../electron/engine/store/checkpointer';
import { Store } from '../../electron/engine/store/store';
import { openEngine, until } from '../helpers/engine';
import { tempDir } from '../helpers/temp';

const autoPages = (store: Store) => store.db.pragma('wal_autocheckpoint', { simple: true }) as number;

describe('WAL checkpoints off the engine thread', () => {
  it('a scheduling engine leaves checkpoints to the worker, which copies the log into the database; closing leaves no log', async () => {
    const { engine, client, dataDir } = openEngine();
    const cp = engine.checkpointer!;
    expect(cp).not.toBeNull();
    await until(() => cp.running, 5000, 'the checkpoint worker to be ready');
    expect(autoPages(engine.store)).toBe(0);
    // Enough writes to fill well past SQLite's own threshold (1000 pages of 4 KiB).
    for (let i = 0; i < 40; i++) {
      await client.call('jobs.create', { name: `big ${i}`, script: `# ${'x'.repeat(200_000)}\necho ${i}`, schedule: { kind: 'manual' } });
    }
    const rounds = cp.rounds;
    await until(() => cp.rounds > rounds && cp.last!.logFrames > 0 && cp.last!.copiedFrames === cp.last!.logFrames, 10_000, 'a checkpoint of the whole log');
    expect(cp.last!.logFrames).toBeGreaterThan(1000);
    expect(statSync(dbFile(dataDir)).size).toBeGreaterThan(40 * 200_000);
    await engine.close(0);
    expect(cp.running).toBe(false);
    // The worker's connection closed first, so the engine's close was the last one and removed the log.
    expect(existsSync(`${dbFile(dataDir)}-wal`)).toBe(false);
    const store = Store.open(dbFile(dataDir));
    expect(store.integrityCheck()).toBe('ok');
    expect(store.db.prepare('SELECT COUNT(*) FROM jobs').pluck().get()).toBe(40);
    store.close();
  });

  it('an engine that does not schedule (the CLI) starts no worker', () => {
    const { engine } = openEngine({ scheduler: false });
    expect(engine.checkpointer).toBeNull();
    expect(autoPages(engine.store)).toBe(1000);
  });

  it('hands checkpoints back to the engine connection when the worker cannot start, and when it dies', async () => {
    const dir = tempDir();
    const store = Store.open(join(dir, 'jobdeck.db'));
    try {
      const broken = join(dir, 'broken.mjs');
      writeFileSync(broken, "throw new Error('cannot load');\n");
      const problems: string[] = [];
      const failed = new Checkpointer({ file: join(dir, 'jobdeck.db'), db: store.db, workerPath: broken, onProblem: (m) => problems.push(m) });
      await until(() => problems.length > 0, 5000, 'the failure to be reported');
      expect(problems[0]).toMatch(/checkpoint worker failed: cannot load; the log is checkpointed on the engine thread/);
      expect(autoPages(store)).toBe(1000);
      expect(failed.running).toBe(false);

      // Ready (the engine's own checkpoints turned off), then gone: they come back on.
      const dying = join(dir, 'dying.mjs');
      writeFileSync(dying, "import { parentPort } from 'node:worker_threads';\nparentPort.postMessage({ t: 'ready' });\nsetTimeout(() => process.exit(3), 300);\n");
      const died: string[] = [];
      const cp = new Checkpointer({ file: join(dir, 'jobdeck.db'), db: store.db, workerPath: dying, onProblem: (m) => died.push(m) });
      await until(() => cp.running, 5000, 'the worker to say it is ready');
      expect(autoPages(store)).toBe(0);
      await until(() => died.length > 0, 5000, 'the exit to be reported');
      expect(died).toEqual(['the checkpoint worker exited (code 3); the log is checkpointed on the engine thread']);
      expect(autoPages(store)).toBe(1000);
      expect(cp.running).toBe(false);
      await cp.stop();
      await failed.stop();
    } finally {
      store.close();
    }
  });
});
