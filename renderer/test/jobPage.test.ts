import { diffLines } from 'diff';
import { describe, expect, it } from 'vitest';
import { SCRIPT_MAX } from '../../shared/model/job';
import { sideBySideRows } from '../src/components/SideBySideDiff';
import { exportFileName } from '../src/lib/downloads';
import { readScriptFile, runtimeFromFileName, runtimeFromShebang } from '../src/lib/scriptFile';

const file = (name: string, text: string, size = new TextEncoder().encode(text).length) => ({ name, size, text: async () => text });

describe('side-by-side diff rows', () => {
  it('pairs a removal with the addition that replaced it, and numbers each side on its own', () => {
    const rows = sideBySideRows(diffLines('a\nold 1\nold 2\nb\n', 'a\nnew\nb\nc\n'));
    expect(rows.map((r) => [r.left?.n ?? null, r.left?.text ?? null, r.left?.removed ?? null, r.right?.n ?? null, r.right?.text ?? null, r.right?.added ?? null])).toEqual([
      [1, 'a', false, 1, 'a', false],
      [2, 'old 1', true, 2, 'new', true],
      [3, 'old 2', true, null, null, null],
      [4, 'b', false, 3, 'b', false],
      [null, null, null, 4, 'c', true],
    ]);
  });
  it('shows identical texts as unchanged rows only', () => {
    expect(sideBySideRows(diffLines('x\ny\n', 'x\ny\n')).every((r) => !r.left!.removed && !r.right!.added)).toBe(true);
  });
});

describe('a script file loaded into the editor', () => {
  it('takes the runtime from the #! line first, then the extension', async () => {
    expect(runtimeFromShebang('#!/usr/bin/env python3\nprint(1)')).toBe('python3');
    expect(runtimeFromShebang('#!/bin/bash -e\n')).toBe('bash');
    expect(runtimeFromShebang('#! /usr/bin/node\n')).toBe('node');
    expect(runtimeFromShebang('#!/usr/bin/perl\n')).toBeNull();
    expect(runtimeFromShebang('echo no shebang')).toBeNull();
    expect(runtimeFromFileName('Tidy.PY')).toBe('python3');
    expect(runtimeFromFileName('build.mjs')).toBe('node');
    expect(runtimeFromFileName('README')).toBeNull();
    expect(await readScriptFile(file('x.sh', '#!/usr/bin/env node\nconsole.log(1)\n'))).toEqual({ ok: true, text: '#!/usr/bin/env node\nconsole.log(1)\n', runtime: 'node', why: 'its #! line' });
    expect(await readScriptFile(file('x.sh', 'echo 1\n'))).toEqual({ ok: true, text: 'echo 1\n', runtime: 'sh', why: 'its extension' });
    expect(await readScriptFile(file('x.txt', 'echo 1\n'))).toEqual({ ok: true, text: 'echo 1\n', runtime: null, why: null });
  });
  it('drops a byte-order mark, which would hide the #! line', async () => {
    expect(await readScriptFile(file('a', '\uFEFF#!/bin/sh\necho\n'))).toMatchObject({ ok: true, text: '#!/bin/sh\necho\n', runtime: 'sh' });
  });
  it('refuses binary, empty and too long files, naming the file and the cause', async () => {
    expect(await readScriptFile(file('tool', 'ELF\u0000\u0001'))).toEqual({ ok: false, error: 'tool is not a text file (it holds NUL bytes)' });
    expect(await readScriptFile(file('none.sh', ''))).toEqual({ ok: false, error: 'none.sh is empty' });
    expect(await readScriptFile(file('long.sh', 'x'.repeat(SCRIPT_MAX + 1)))).toMatchObject({ ok: false, error: expect.stringMatching(/^long\.sh has 1,000,001 characters; a script can be at most 1,000,000$/) });
    // Too large to hold a script at all: refused by its size, before it is read.
    const huge = { name: 'huge.iso', size: SCRIPT_MAX * 4 + 1, text: async () => expect.fail('read a file too large to be a script') };
    expect(await readScriptFile(huge)).toMatchObject({ ok: false, error: expect.stringContaining('huge.iso is 4,000,001 bytes') });
  });
});

describe('export file names', () => {
  it('keeps a readable name and replaces what file systems refuse', () => {
    expect(exportFileName('nightly export')).toBe('nightly export.jobdeck.json');
    expect(exportFileName('a/b:c*?"<>|d')).toBe('a-b-c-d.jobdeck.json');
    expect(exportFileName('..')).toBe('job.jobdeck.json');
    expect(exportFileName(' .hidden. ')).toBe('hidden.jobdeck.json');
  });
});
