/**
 * The CLI bundle's loader (electron/cli/cliLoader.ts): a V8 code cache beside
 * the bundle, written once the command ran, used by the next start, and
 * never trusted when it was made from another bundle or is damaged.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCli } from '../../electron/cli/cliLoader';
import { cli } from '../helpers/cli';
import { tempDir } from '../helpers/temp';

/** A CommonJS file shaped like the CLI bundle: exports main, requires beside itself. */
function bundleIn(dir: string, answer: number): string {
  const file = join(dir, 'cli.cjs');
  writeFileSync(join(dir, 'helper.cjs'), 'module.exports = { twice: (n) => n * 2 };\n');
  writeFileSync(
    file,
    [
      "const { twice } = require('./helper.cjs');",
      "const { sep } = require('node:path');",
      `exports.main = async (argv) => twice(${answer}) + argv.length;`,
      'exports.where = [__filename, __dirname, sep];',
      // Something for V8 to compile, so the cache holds more than the wrapper.
      ...Array.from({ length: 200 }, (_, i) => `exports.f${i} = (x) => x.map((y) => y + ${i}).filter(Boolean).join(',');`),
    ].join('\n'),
  );
  return file;
}

/** The bundle compiles from its text (the cache is not used), answers, and its new cache replaces `before` and is used next. */
async function expectRecompiled(file: string, answer: number, before?: Buffer): Promise<void> {
  const loaded = loadCli(file);
  expect(loaded.usedCache).toBe(false);
  expect(await loaded.cli.main([])).toBe(answer);
  loaded.saveCache();
  if (before) expect(readFileSync(`${file}.cache`).equals(before)).toBe(false);
  expect(loadCli(file).usedCache).toBe(true);
}

describe('the CLI loader', () => {
  it('runs the bundle, then writes a cache that the next start uses', async () => {
    const dir = tempDir();
    const file = bundleIn(dir, 20);
    const first = loadCli(file);
    expect(first.usedCache).toBe(false);
    expect(await first.cli.main(['a', 'b'])).toBe(42);
    expect((first.cli as unknown as { where: string[] }).where).toEqual([file, dir, '/']);
    expect(existsSync(`${file}.cache`)).toBe(false);
    first.saveCache();
    const cache = readFileSync(`${file}.cache`);
    expect(cache.subarray(0, cache.indexOf(10)).toString()).toMatch(new RegExp(`^jobdeck-code-cache 2 [0-9a-f]{40} ${process.version} ${process.arch} [0-9a-f]{40}$`));

    const second = loadCli(file);
    expect(second.usedCache).toBe(true);
    expect(await second.cli.main([])).toBe(40);
    second.saveCache();
    // A cache that fitted is not written again.
    expect(readFileSync(`${file}.cache`).equals(cache)).toBe(true);
  });

  it('ignores a cache made from another bundle and replaces it', async () => {
    const dir = tempDir();
    const file = bundleIn(dir, 1);
    loadCli(file).saveCache();
    const before = readFileSync(`${file}.cache`);
    // The same length, other code: V8's own check compares little more than the length.
    bundleIn(dir, 2);
    await expectRecompiled(file, 4, before);
  });

  it('never hands V8 a damaged cache (V8 would crash on it): the bundle compiles from its text, a good cache replaces it', async () => {
    const dir = tempDir();
    const file = bundleIn(dir, 5);
    loadCli(file).saveCache();
    const cache = readFileSync(`${file}.cache`);
    const header = cache.indexOf(10) + 1;
    const damaged = Buffer.from(cache);
    for (let i = header; i < damaged.length; i += 7) damaged[i]! ^= 0xff;
    writeFileSync(`${file}.cache`, damaged);
    await expectRecompiled(file, 10, damaged);

    // Cut short after its header: the same.
    writeFileSync(`${file}.cache`, cache.subarray(0, header + 10));
    expect(loadCli(file).usedCache).toBe(false);
  });

  it('takes V8\'s refusal of a cache made under other V8 flags, and replaces it', async () => {
    const dir = tempDir();
    const file = bundleIn(dir, 4);
    // Made by another Node process whose V8 flags differ: the header fits, V8 refuses the data.
    const loader = join(import.meta.dirname, '..', '..', 'out', 'node', 'cliLoader.cjs');
    const made = spawnSync(process.execPath, ['--no-opt', '-e', `const { loadCli } = require(${JSON.stringify(loader)}); const l = loadCli(${JSON.stringify(file)}); l.cli.main([]).then(() => l.saveCache());`], { encoding: 'utf8' });
    expect(made.stderr).toBe('');
    expect(made.status).toBe(0);
    await expectRecompiled(file, 8, readFileSync(`${file}.cache`));
  });

  it.skipIf(process.getuid?.() === 0)('runs without a cache where the folder is read-only', async () => {
    const dir = tempDir();
    const file = bundleIn(dir, 3);
    chmodSync(dir, 0o555);
    try {
      const loaded = loadCli(file);
      expect(await loaded.cli.main([])).toBe(6);
      expect(() => loaded.saveCache()).not.toThrow();
      expect(existsSync(`${file}.cache`)).toBe(false);
    } finally {
      chmodSync(dir, 0o755);
    }
  });

  it('runs without a cache where it cannot be written (the cache path is taken by a folder)', async () => {
    const dir = tempDir();
    const file = bundleIn(dir, 3);
    // Root writes anywhere; a folder where the file would go stops the rename for anyone.
    mkdirSync(`${file}.cache`);
    const loaded = loadCli(file);
    expect(loaded.usedCache).toBe(false);
    expect(await loaded.cli.main([])).toBe(6);
    expect(() => loaded.saveCache()).not.toThrow();
    // Nothing half-written is left behind.
    expect(readdirSync(dir).sort()).toEqual(['cli.cjs', 'cli.cjs.cache', 'helper.cjs']);
  });

  it('jobdeck leaves a cache of the built bundle after a command, made for this bundle and this Node', async () => {
    const bundle = join(import.meta.dirname, '..', '..', 'out', 'node', 'cli.cjs');
    // Gone first (another test's command may write it again meanwhile: the same bundle, the same cache).
    rmSync(`${bundle}.cache`, { force: true });
    const r = await cli(['jobs', 'list', '--data-dir', tempDir()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const cache = readFileSync(`${bundle}.cache`);
    const [magic, version, sha, node, arch, dataSha] = cache.subarray(0, cache.indexOf(10)).toString().split(' ');
    expect([`${magic} ${version}`, sha, node, arch]).toEqual(['jobdeck-code-cache 2', createHash('sha1').update(readFileSync(bundle)).digest('hex'), process.version, process.arch]);
    expect(dataSha).toBe(createHash('sha1').update(cache.subarray(cache.indexOf(10) + 1)).digest('hex'));
  });

  it('the built CLI bundle is strict and calls no import() (a script compiled through node:vm has no loader for it)', () => {
    const bundle = readFileSync(join(import.meta.dirname, '..', '..', 'out', 'node', 'cli.cjs'), 'utf8');
    expect(bundle.split('\n')[0]).toBe("'use strict';");
    // import( as a call, in the minified text: not a method named import (`async import(document,dryRun,ctx){`), nor part of a longer name.
    const importCalls = (text: string) =>
      [...text.matchAll(/(^|[^.\w$])import\s*\(([^()]*)\)(\s*\{)?/g)].filter((m) => !(m[3] !== undefined && /^[\w\s,$]*$/.test(m[2]!))).map((m) => m[0]);
    expect(importCalls(bundle)).toEqual([]);
    // The check finds one where there is one, and passes a method of that name.
    expect(importCalls('x=await import("node:fs");async import(doc,dry){}')).toEqual([' import("node:fs")']);
  });
});
