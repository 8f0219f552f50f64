/**
 * Making run folders, on libuv's thread pool so that preparing one run
 * overlaps with spawning others. Creating folders and files is slow on some
 * disks (over a millisecond each); a rename is not, so a spare folder is made
 * ahead of time for each job's next run and renamed into place.
 */
import { readdirSync } from 'node:fs';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Prepare } from './launcherProtocol';

/** Folders known to exist (job folders are made once). */
const madeDirs = new Set<string>();
/** Script versions known to be written (content-addressed: never written twice). */
const madeScripts = new Set<string>();
let scriptSeq = 0;

/**
 * Writes a script version's file unless it is there. Written under a
 * temporary name and renamed into place, so a run never executes half a
 * file; two writers race harmlessly (same name, same content).
 */
async function writeScriptOnce(path: string, content: string): Promise<void> {
  if (madeScripts.has(path)) return;
  try {
    await access(path);
  } catch {
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.writing-${process.pid}-${++scriptSeq}`;
    await writeFile(temp, content, { mode: 0o700 });
    await rename(temp, path);
  }
  madeScripts.add(path);
}

/**
 * Makes a run's folder: its parents (once), then the folder with its files,
 * or renames the job's spare into place. A run folder is never reused: an
 * existing one (a store reset beside old folders) fails the run instead of
 * mixing its files with another run's.
 */
export async function prepareRun(prepare: Prepare): Promise<void> {
  for (const dir of prepare.parents) {
    if (madeDirs.has(dir)) continue;
    await mkdirOnce(dir);
    madeDirs.add(dir);
  }
  for (const dir of prepare.ensure ?? []) await mkdir(dir, { recursive: true });
  for (const script of prepare.scripts ?? []) await writeScriptOnce(script.path, script.content);
  const runDir = prepare.dirs[0]!;
  if (prepare.spare) {
    // A folder left there with anything in it makes the rename fail (and then mkdir says so below);
    // an empty one is replaced, which mixes nothing.
    try {
      await rename(prepare.spare, runDir);
      return;
    } catch {
      // No spare (first run, script changed, taken by another process), or a folder in the way: make it now.
    }
  }
  await makeFolder(prepare.dirs, prepare.files);
}

function alreadyThere(dir: string): Error {
  return Object.assign(new Error(`the run folder ${dir} already exists (left by an earlier store?); it is never reused`), { code: 'EEXIST' });
}

async function mkdirOnce(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') await mkdir(dir, { recursive: true });
    else if (code !== 'EEXIST') throw err;
  }
}

async function makeFolder(dirs: string[], files: { path: string; content: string }[]): Promise<void> {
  for (const [i, dir] of dirs.entries()) {
    try {
      await mkdir(dir);
    } catch (err) {
      if (i === 0 && (err as NodeJS.ErrnoException).code === 'EEXIST') throw alreadyThere(dir);
      throw err;
    }
  }
  await Promise.all(files.map((file) => writeFile(file.path, file.content, { mode: 0o700 })));
}

let spareSeq = 0;

/**
 * Makes the spare for a job's next run: the same folder and files under a
 * temporary name, renamed to the spare's name only once complete (a run must
 * never take a half-made spare). Best effort, off the critical path; a
 * failure only means the next run makes its folder itself.
 */
export function makeSpare(prepare: Prepare): void {
  const spare = prepare.spare;
  const runDir = prepare.dirs[0];
  if (!spare || !runDir) return;
  const temp = `${spare}.making-${process.pid}-${++spareSeq}`;
  const move = (p: string) => temp + p.slice(runDir.length);
  void makeFolder(
    prepare.dirs.map(move),
    prepare.files.map((f) => ({ path: move(f.path), content: f.content })),
  )
    .then(() => rename(temp, spare))
    .catch(() => rm(temp, { recursive: true, force: true }))
    .catch(() => undefined);
}

/** How many entries a folder holds (0 when it is missing). */
export function countEntries(dir: string | undefined): number {
  if (!dir) return 0;
  try {
    return readdirSync(dir).length;
  } catch {
    return 0;
  }
}
