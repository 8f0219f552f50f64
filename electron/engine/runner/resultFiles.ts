/** Finds and fingerprints the files a run wrote into its output folder. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface FoundFile {
  name: string;
  size: number;
  sha256: string;
}

export const MAX_RESULT_FILES = 1000;

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Regular files under `dir` (symbolic links are skipped, so a script cannot
 * publish a file from outside its folder), named by their path relative to
 * `dir` with forward slashes.
 */
export async function collectResultFiles(dir: string): Promise<FoundFile[]> {
  const out: FoundFile[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (out.length >= MAX_RESULT_FILES) return;
      const full = join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        const st = await lstat(full);
        out.push({ name: relative(dir, full).split(sep).join('/'), size: st.size, sha256: await sha256(full) });
      }
    }
  };
  await walk(dir);
  return out;
}
