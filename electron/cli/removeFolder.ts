/**
 * Removes `jobdeck run FILE`'s throwaway folder when the command ends. Its
 * few entries (the run's folder, the script's file) are removed directly,
 * bottom-up: Node 20's `rmSync(…, { recursive: true })` loads its rimraf
 * module and first tries to remove every folder whole, 3-5 ms of the
 * command's 10 ms end against about 1 ms. Whatever this does not remove
 * (a deeper tree than expected, an entry it may not remove, a file that
 * appears meanwhile) is left to rmSync, which still removes it or says why.
 */
import { readdirSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Folders deeper than this below the throwaway folder are left to rmSync (the run's own are 4 deep). */
const DEPTH_MAX = 16;

function removeTree(dir: string, depth: number): void {
  if (depth > DEPTH_MAX) throw new Error('deeper than expected');
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    // A link is removed itself, never followed.
    if (entry.isDirectory()) removeTree(path, depth + 1);
    else unlinkSync(path);
  }
  rmdirSync(dir);
}

export function removeFolder(dir: string): void {
  try {
    removeTree(dir, 0);
  } catch {
    rmSync(dir, { recursive: true, force: true });
  }
}
