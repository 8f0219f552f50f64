/**
 * A worker thread that checkpoints the store's write-ahead log, so the
 * engine's thread never does. SQLite's automatic checkpoint runs inside the
 * commit that crosses its threshold and fsyncs the database file, which on
 * these virtual disks stalls that commit (and every fire and spawn behind it)
 * for 10-60 ms. Here a second connection copies the log into the database
 * with PASSIVE checkpoints, which never wait for or block the engine's
 * readers and writers.
 *
 * Built into a plain JavaScript file beside the launcher (scripts/build-node.mjs,
 * electron-vite); loads better-sqlite3 and nothing else.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckpointerInput, CheckpointerMessage } from './checkpointProtocol';

const input = workerData as CheckpointerInput;
const port = parentPort!;
const post = (msg: CheckpointerMessage) => port.postMessage(msg);

let db: Database.Database;
try {
  db = new Database(input.file, { fileMustExist: true, ...(input.nativeBinding ? { nativeBinding: input.nativeBinding } : {}) });
} catch (err) {
  post({ t: 'failed', message: `cannot open ${input.file}: ${(err as Error).message}` });
  process.exit(1);
}

function checkpoint(): void {
  const started = performance.now();
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    post({ t: 'checkpointed', logFrames: row?.log ?? 0, copiedFrames: row?.checkpointed ?? 0, ms: performance.now() - started });
  } catch (err) {
    // Busy or locked for a moment: the next round tries again (the log only grows meanwhile).
    post({ t: 'problem', message: (err as Error).message });
  }
}

const timer = setInterval(checkpoint, input.intervalMs);
port.on('message', (msg: unknown) => {
  if ((msg as { t?: string } | null)?.t !== 'stop') return;
  clearInterval(timer);
  db.close();
  post({ t: 'closed' });
  port.close();
});
post({ t: 'ready' });
