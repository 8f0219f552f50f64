/**
 * Saving a result file or a log where the user picks: the native save
 * dialog, then the contract's download (from the local engine, or from the
 * remote server of the profile in use) streamed into a temporary file that
 * is renamed into place only when complete.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Download } from '../../shared/contract';
import { JobdeckError } from '../../shared/errors';
import type { Run } from '../../shared/model/run';
import { logFileName } from '../engine/logText';
import type { SaveDialog } from './ipcTypes';
import type { ConnectionRouter } from './router';

/** Writes a download to `dest` through a temporary file, so a failed copy leaves nothing half-written. */
async function saveTo(download: Download, dest: string): Promise<void> {
  const tmp = `${dest}.jobdeck-part`;
  try {
    await pipeline(Readable.from(download.chunks()), createWriteStream(tmp));
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    if (err instanceof JobdeckError) throw err;
    throw new JobdeckError('INTERNAL', `could not save to ${dest}: ${(err as Error).message}`);
  }
}

export class Downloads {
  constructor(
    private readonly router: ConnectionRouter,
    private readonly ask: SaveDialog,
  ) {}

  private async call<T>(method: string, input: unknown): Promise<T> {
    const result = await this.router.call(method, input);
    if (!result.ok) throw JobdeckError.fromData(result.error);
    return result.value as T;
  }

  async saveResultFile(runId: number, name: string): Promise<string | null> {
    // Checked before the dialog opens: a viewer is told at once, not after picking a place.
    const download = await this.call<Download>('runs.download', { id: runId, name });
    const dest = await this.ask(download.fileName);
    if (!dest) return null;
    await saveTo(download, dest);
    return dest;
  }

  async saveLog(runId: number): Promise<string | null> {
    const run = await this.call<Run>('runs.get', { id: runId });
    const dest = await this.ask(logFileName(run.jobName, runId));
    if (!dest) return null;
    await saveTo(await this.call<Download>('runs.logExport', { id: runId }), dest);
    return dest;
  }
}
