/**
 * `jobdeck runs download`: a run's result file saved whole (checked against
 * its recorded SHA-256) or not at all, to standard output through a pipe,
 * never over an existing file unless told; clear errors for a missing file.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { tempDir } from '../helpers/temp';

describe('jobdeck runs download', () => {
  it('saves the primary file or a named one, checked; refuses to overwrite; streams to a pipe; names a missing file', async () => {
    const dataDir = tempDir();
    const script = join(tempDir(), 'report.sh');
    writeFileSync(script, 'seq 1 200000 > "$JOBDECK_OUTPUT_DIR/numbers.txt"\nmkdir -p "$JOBDECK_OUTPUT_DIR/sub"\necho "a,b" > "$JOBDECK_OUTPUT_DIR/sub/summary.csv"\necho "::result sub/summary.csv"\n');
    expect((await cli(['jobs', 'add', '--name', 'report', '--script', script, '--manual'], { dataDir })).code).toBe(0);
    expect((await cli(['run', 'report'], { dataDir })).code).toBe(0);
    const out = tempDir();

    const primary = await cli(['runs', 'download', '1'], { dataDir, cwd: out });
    expect([primary.code, primary.stdout, primary.stderr]).toEqual([0, 'Saved summary.csv (4 bytes, SHA-256 checked)\n', '']);
    expect(readFileSync(join(out, 'summary.csv'), 'utf8')).toBe('a,b\n');

    const named = await cli(['runs', 'download', '1', 'numbers.txt', '-o', join(out, 'n.txt')], { dataDir });
    expect([named.code, named.stderr]).toEqual([0, '']);
    const expected = Array.from({ length: 200000 }, (_, i) => `${i + 1}\n`).join('');
    expect(createHash('sha256').update(readFileSync(join(out, 'n.txt'))).digest('hex')).toBe(createHash('sha256').update(expected).digest('hex'));

    // An existing file is kept unless --force.
    writeFileSync(join(out, 'n.txt'), 'mine');
    const kept = await cli(['runs', 'download', '1', 'numbers.txt', '-o', join(out, 'n.txt')], { dataDir });
    expect([kept.code, kept.stderr]).toEqual([2, `jobdeck: ${join(out, 'n.txt')} exists: give --force to replace it, or --out FILE\n`]);
    expect(readFileSync(join(out, 'n.txt'), 'utf8')).toBe('mine');
    expect((await cli(['runs', 'download', '1', 'numbers.txt', '-o', join(out, 'n.txt'), '--force'], { dataDir })).code).toBe(0);
    expect(readFileSync(join(out, 'n.txt'), 'utf8')).toBe(expected);

    // To standard output, read through head: quiet.
    const err = join(tempDir(), 'stderr.txt');
    const piped = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" runs download 1 numbers.txt -o - 2>"${err}" | head -n 2`], {
      env: { ...process.env, JOBDECK_DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    expect(piped.stdout).toBe('1\n2\n');
    expect(readFileSync(err, 'utf8')).toBe('');

    // No such file, no such run: named, nothing written (no part file left either).
    const missing = await cli(['runs', 'download', '1', 'nope.txt'], { dataDir, cwd: out });
    expect([missing.code, missing.stderr]).toEqual([3, 'jobdeck: --name: run 1 has no result file named "nope.txt"\n']);
    const noRun = await cli(['runs', 'download', '99'], { dataDir, cwd: out });
    expect(noRun.code).toBe(3);
    expect(noRun.stderr).toMatch(/^jobdeck: .*run 99/);
    // A file changed on disk since the run recorded it: refused after reading it, nothing left behind.
    writeFileSync(join(dataDir, 'runs', '1', '1', 'output', 'sub', 'summary.csv'), 'x,y\n');
    const changed = await cli(['runs', 'download', '1', '-o', join(out, 'changed.csv')], { dataDir });
    expect(changed.code).toBe(5);
    expect(changed.stderr).toMatch(/^jobdeck: summary\.csv: the bytes received \(4, SHA-256 [0-9a-f]{64}\) are not the file recorded \(SHA-256 [0-9a-f]{64}\)\n$/);
    expect(readdirSync(out).sort()).toEqual(['n.txt', 'summary.csv']);
    expect(existsSync(join(out, 'nope.txt'))).toBe(false);
  });
});
