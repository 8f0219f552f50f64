/** `jobdeck run FILE`'s throwaway folder is removed whole, links are not followed, and what the quick way cannot remove rmSync does. */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeFolder } from '../../electron/cli/removeFolder';
import { tempDir } from '../helpers/temp';

const temp = () => tempDir();

describe('removing the throwaway folder', () => {
  it("removes a run's folders and files, and a link without what it points to", () => {
    const root = temp();
    const outside = temp();
    writeFileSync(join(outside, 'keep.txt'), 'mine');
    const dir = join(root, 'jobdeck-run-x');
    mkdirSync(join(dir, 'runs', '1', '1', 'output', 'sub'), { recursive: true });
    mkdirSync(join(dir, 'scripts', 'abc'), { recursive: true });
    writeFileSync(join(dir, 'scripts', 'abc', 'script.sh'), 'echo hi\n');
    writeFileSync(join(dir, 'runs', '1', '1', 'output', 'sub', 'r.csv'), 'a,b\n');
    symlinkSync(outside, join(dir, 'runs', '1', '1', 'output', 'link'));
    removeFolder(dir);
    expect(existsSync(dir)).toBe(false);
    expect(readFileSync(join(outside, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('removes a tree deeper than it walks itself (rmSync does the rest), and a folder already gone', () => {
    const root = temp();
    const dir = join(root, 'deep');
    const deepest = join(dir, ...Array.from({ length: 40 }, (_, i) => `d${i}`));
    mkdirSync(deepest, { recursive: true });
    writeFileSync(join(deepest, 'f'), 'x');
    removeFolder(dir);
    expect(existsSync(dir)).toBe(false);
    expect(() => removeFolder(join(root, 'never-there'))).not.toThrow();
  });
});
