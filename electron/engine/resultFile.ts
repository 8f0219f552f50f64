/**
 * Opening a run's result file, never outside its run's output folder. Two
 * guards, each tested on its own: the name must be a plain relative path
 * (resultNameProblem), and the resolved path must lie inside the folder
 * (resolveInside), whatever the name held.
 */
import { createReadStream } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type mimeTypes from 'mime-types';
import type { Download } from '../../shared/contract';
import { JobdeckError, notFound } from '../../shared/errors';
import { resultNameProblem } from './runner/protocol';
import { outputDir } from './paths';
import { lazyPackage } from './lazyPackage';
import type { EngineStore as Store } from './store/engineStore';
import type { NodeRow } from './store/tables/nodesTable';

const mime = lazyPackage<typeof mimeTypes>('mime-types');

export interface OpenedFile {
  name: string;
  size: number;
  sha256: string;
  contentType: string;
  path: string;
}

/** `name` resolved under `base`; throws when the result would lie outside it. */
export function resolveInside(base: string, name: string): string {
  const root = resolve(base);
  const path = resolve(root, name);
  if (!path.startsWith(root + sep)) throw new JobdeckError('VALIDATION_FAILED', 'name: file name must stay inside the run folder', 'name');
  return path;
}

function checkName(name: string): void {
  const problem = resultNameProblem(name);
  if (problem) throw new JobdeckError('VALIDATION_FAILED', `name: ${problem}`, 'name');
}

/** A result file kept by another node of a shared database (its bytes are on that node's disk). */
export interface FileElsewhere {
  name: string;
  size: number;
  sha256: string;
  contentType: string;
  node: NodeRow;
  runId: number;
}

function contentTypeOf(fileName: string): string {
  const type = mime().lookup(fileName) || 'application/octet-stream';
  return /^text\/|json|csv|xml/.test(type) ? `${type}; charset=utf-8` : type;
}

/**
 * A recorded result file of a run: on this node's disk, or (on a shared
 * database) kept by the node that ran it. `name` null means the run's primary
 * file (or its only one).
 */
export async function locateResultFile(store: Store, dataDir: string, runId: number, name: string | null, here?: string): Promise<OpenedFile | FileElsewhere> {
  if (name !== null) checkName(name);
  const run = await store.runs.get(runId);
  if (!run) throw notFound('run', runId);
  let fileName = name;
  if (fileName === null) {
    // The primary file (::result, or the only one), else the first by name: a run that made a file always has one to give.
    fileName = run.result_file ?? (await store.runs.files(runId))[0]?.name ?? null;
    if (!fileName) throw new JobdeckError('NOT_FOUND', `run ${runId} has no result file`, 'name');
    checkName(fileName);
  }
  const row = await store.runs.file(runId, fileName);
  if (!row) throw new JobdeckError('NOT_FOUND', `run ${runId} has no result file named ${JSON.stringify(fileName)}`, 'name');
  const path = resolveInside(outputDir(dataDir, run.job_id, runId), fileName);
  let st;
  try {
    st = await lstat(path);
  } catch {
    // On a shared database each node keeps the files of the runs it executed.
    const node = store.backend === 'postgres' ? await keeperOf(store, run.owner) : undefined;
    if (node && node.id !== here) return { name: fileName, size: row.size, sha256: row.sha256, contentType: contentTypeOf(fileName), node, runId };
    throw new JobdeckError('NOT_FOUND', `result file ${fileName} of run ${runId} is no longer on disk`, 'name');
  }
  if (!st.isFile()) throw new JobdeckError('NOT_FOUND', `result file ${fileName} of run ${runId} is not a regular file`, 'name');
  return { name: fileName, size: st.size, sha256: row.sha256, contentType: contentTypeOf(fileName), path };
}

/**
 * The node that has a run's folder: the one that ran it, or, once that one
 * has stopped or was lost, the live node started since on the same data
 * folder of the same host (a restart, an upgrade).
 */
async function keeperOf(store: Store, owner: string): Promise<NodeRow | undefined> {
  const node = await store.nodes.get(owner);
  if (!node || (node.lost_at === null && node.stopped_at === null) || node.data_dir === null) return node;
  return (await store.nodes.liveOnFolder(node.host, node.data_dir)) ?? node;
}

export const isElsewhere = (f: OpenedFile | FileElsewhere): f is FileElsewhere => 'node' in f;

/** A result file as a download (streamed from disk on demand). */
export function fileDownload(file: OpenedFile): Download {
  return {
    fileName: file.name.split('/').pop()!,
    contentType: file.contentType,
    size: file.size,
    sha256: file.sha256,
    chunks: () => createReadStream(file.path),
  };
}

/** The first maxBytes of a file on this node's disk, as UTF-8 text (see previewText). */
export async function readFileStart(file: OpenedFile, maxBytes: number) {
  const handle = await open(file.path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(maxBytes, file.size));
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return previewText(buf.subarray(0, bytesRead), file.size);
  } finally {
    await handle.close();
  }
}

/** The start of a file of `size` bytes as text (a character cut at the end is dropped). */
export function previewText(start: Buffer, size: number) {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(start);
  const truncated = size > start.length;
  return { text: truncated ? text.replace(/\uFFFD$/, '') : text, size, truncated };
}
