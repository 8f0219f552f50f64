/**
 * Saving a download (a result file) from the CLI: to standard output, or to
 * a file written whole or not at all (a part file beside it, renamed once
 * every byte is in and its SHA-256 matches the one recorded).
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Download } from '../../shared/contract';
import { JobdeckError } from '../../shared/errors';
import { UsageError } from './context';

export interface Saved {
  path: string | null;
  bytes: number;
  checked: boolean;
}

export async function saveDownload(download: Download, out: string | undefined, force: boolean): Promise<Saved> {
  // The name a server suggests is a name, never a path (a hostile one could point anywhere).
  const suggested = basename(download.fileName);
  if (out === undefined && (suggested === '' || suggested === '.' || suggested === '..' || suggested === '-')) {
    throw new UsageError(`the file's name (${JSON.stringify(download.fileName)}) cannot be saved as it is: give --out FILE`);
  }
  const target = out ?? suggested;
  const toStdout = target === '-';
  if (!toStdout && existsSync(target) && !force) throw new UsageError(`${target} exists: give --force to replace it, or --out FILE`);
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const part = toStdout ? null : join(dirname(target), `.${basename(target)}.${process.pid}.part`);
  try {
    await pipeline(Readable.from(download.chunks()), tap, toStdout ? process.stdout : createWriteStream(part!, { flags: 'wx' }), { end: !toStdout });
    const digest = hash.digest('hex');
    if (download.sha256 && digest !== download.sha256) {
      throw new JobdeckError('CONFLICT', `${download.fileName}: the bytes received (${bytes}, SHA-256 ${digest}) are not the file recorded (SHA-256 ${download.sha256})`);
    }
    if (part) renameSync(part, target);
    return { path: toStdout ? null : target, bytes, checked: download.sha256 !== null };
  } finally {
    if (part) rmSync(part, { force: true });
  }
}
