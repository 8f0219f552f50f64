/**
 * Loads the CLI bundle (out/node/cli.cjs) with a V8 code cache kept beside
 * it, so a command starts without compiling ~1 MB of JavaScript again:
 * compiling the bundle was about a quarter of `jobdeck run`'s start-up.
 * Node 20 can cache the compilation of a script (vm.Script's cachedData),
 * not of an ES module, hence a CommonJS bundle. Imports nothing but Node's
 * own modules: bin/jobdeck.cjs loads it before anything else.
 *
 * The cache is one file, `cli.cjs.cache`: a header line naming the
 * bundle's SHA-1, the Node version and the data's SHA-1, then V8's data. It is written after the
 * command ran (so it also holds the functions the command compiled), when
 * there was none or it did not fit; written to a temporary file and renamed,
 * so concurrent commands never read half of one. A folder the user cannot
 * write to (an installation owned by root) only means no cache. V8 checks
 * the data itself too (its version and flags) and refuses what does not fit.
 *
 * The bundle must not call import(): a script compiled through node:vm has
 * no loader for it on Node 20 unless given one, and the one that exists
 * (USE_MAIN_CONTEXT_DEFAULT_LOADER) prints an experimental warning
 * (build-node.mjs refuses a bundle that would; packages are required).
 */
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

export interface CliBundle {
  main(argv: string[]): Promise<number>;
}

export interface LoadedCli {
  cli: CliBundle;
  /** Whether V8 took the cached compilation (false: none, made from another bundle or Node, or refused). */
  usedCache: boolean;
  /** Writes the code cache if it was missing or did not fit (call once the command has run). */
  saveCache(): void;
}

const MAGIC = 'jobdeck-code-cache 2';

const sha1 = (bytes: Buffer): string => createHash('sha1').update(bytes).digest('hex');

/** What a cache must have been made from: this bundle's text, this Node. */
function keyOf(source: Buffer): string {
  return `${MAGIC} ${sha1(source)} ${process.version} ${process.arch}`;
}

/**
 * The cached data in `file` when it was made for `key` and is whole;
 * otherwise undefined. V8 trusts the data it is given (a damaged cache
 * crashes the process rather than being refused), hence the data's own hash.
 */
function readCache(file: string, key: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  const end = bytes.indexOf(10);
  if (end < 0 || end > 512) return undefined;
  const header = bytes.subarray(0, end).toString('latin1');
  const data = bytes.subarray(end + 1);
  return header === `${key} ${sha1(data)}` ? data : undefined;
}

function writeCache(file: string, key: string, data: Buffer): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, Buffer.concat([Buffer.from(`${key} ${sha1(data)}\n`, 'latin1'), data]));
    renameSync(temporary, file);
  } catch {
    // No cache where the folder is read-only or full: commands still run, only slower to start.
    rmSync(temporary, { force: true });
  }
}

export function loadCli(bundlePath: string): LoadedCli {
  const source = readFileSync(bundlePath);
  const cacheFile = `${bundlePath}.cache`;
  const key = keyOf(source);
  const cachedData = readCache(cacheFile, key);
  // The same wrapper Node's CommonJS loader puts around a file.
  // The build makes the bundle ASCII (minified, escapes): read as Latin-1, it becomes V8's one-byte
  // string without a UTF-8 decoding pass (5 ms of every start).
  const text = isAscii(source) ? source.toString('latin1') : source.toString('utf8');
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${text}\n})`;
  const script = new Script(wrapped, { filename: bundlePath, cachedData });
  const module = { exports: {} as Record<string, unknown> };
  const init = script.runInThisContext() as (...args: unknown[]) => void;
  init.call(module.exports, module.exports, createRequire(bundlePath), module, bundlePath, dirname(bundlePath));
  const needsCache = cachedData === undefined || script.cachedDataRejected === true;
  let saved = false;
  return {
    cli: module.exports as unknown as CliBundle,
    usedCache: !needsCache,
    saveCache() {
      if (!needsCache || saved) return;
      saved = true;
      try {
        // Not even made where it could not be written (an installation owned by root).
        accessSync(dirname(bundlePath), constants.W_OK);
        writeCache(cacheFile, key, script.createCachedData());
      } catch {
        // A cache is only a head start: the command has run, whatever happens here.
      }
    },
  };
}
