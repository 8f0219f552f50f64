/**
 * Saving a result file or a log where the user picks: the native save
 * dialog, then a streamed copy (from the local engine's folder, or from the
 * remote server of the profile in use).
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { CallContext } from '../../shared/contract';
import { checkRole } from '../../shared/dispatch';
import { isErrorData, JobdeckError } from '../../shared/errors';
import type { Engine } from '../engine/engine';
import { logFileName, logTextStream } from '../engine/logText';
import { openResultFile } from '../engine/resultFile';
import type { SaveDialog } from './ipcTypes';
import type { ConnectionRouter } from './router';

/** Writes a stream to `dest` through a temporary file, so a failed copy leaves nothing half-written. */
async function streamTo(source: Readable, dest: string): Promise<void> {
  const tmp = `${dest}.jobdeck-part`;
  try {
    await pipeline(source, createWriteStream(tmp));
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new JobdeckError('INTERNAL', `could not save to ${dest}: ${(err as Error).message}`);
  }
}

async function fetchStream(url: string, token: string | null): Promise<Readable> {
  let res: Response;
  try {
    res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  } catch (err) {
    throw new JobdeckError('UNAVAILABLE', `cannot reach ${new URL(url).origin}: ${(err as Error).message}`);
  }
  if (!res.ok || !res.body) {
    const body: unknown = await res.json().catch(() => null);
    throw isErrorData(body) ? JobdeckError.fromData(body) : new JobdeckError('UNAVAILABLE', `download failed (${res.status})`);
  }
  return Readable.fromWeb(res.body as unknown as WebReadableStream);
}

export class Downloads {
  constructor(
    private readonly engine: Engine,
    private readonly router: ConnectionRouter,
    private readonly local: CallContext,
    private readonly ask: SaveDialog,
  ) {}

  async saveResultFile(runId: number, name: string): Promise<string | null> {
    const remote = this.router.remoteTarget;
    if (!remote) {
      checkRole('runs.cancel', this.local);
      const file = await openResultFile(this.engine.store, this.engine.dataDir, runId, name);
      const dest = await this.ask(file.name.split('/').pop()!);
      if (!dest) return null;
      await streamTo(file.stream(), dest);
      return dest;
    }
    const url = `${remote.url}/api/runs/${runId}/files/${name.split('/').map(encodeURIComponent).join('/')}`;
    const source = await fetchStream(url, remote.token);
    const dest = await this.ask(name.split('/').pop()!);
    if (!dest) {
      source.destroy();
      return null;
    }
    await streamTo(source, dest);
    return dest;
  }

  async saveLog(runId: number): Promise<string | null> {
    const remote = this.router.remoteTarget;
    const run = await this.router.call('runs.get', { id: runId });
    if (!run.ok) throw JobdeckError.fromData(run.error);
    const dest = await this.ask(logFileName((run.value as { jobName: string }).jobName, runId));
    if (!dest) return null;
    if (remote) {
      await streamTo(await fetchStream(`${remote.url}/api/runs/${runId}/log`, remote.token), dest);
      return dest;
    }
    await streamTo(logTextStream(this.engine, runId), dest);
    return dest;
  }
}
