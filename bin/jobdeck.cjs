#!/usr/bin/env node
// The jobdeck command. Runs the built bundle (out/node/cli.cjs, made by
// `npm install` and `npm run build:node`), so it starts as fast as Node
// itself; from a checkout whose bundle is missing it loads the TypeScript
// sources through tsx instead (slower, same behaviour). A CommonJS file:
// Node starts an ES module entry 10-12 ms later (its module loader).
'use strict';
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

// `jobdeck --version` answers without loading the rest (scripts call it to check what is installed).
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')).version}\n`);
  process.exit(0);
}

/**
 * A command that will run a job here (`jobdeck run …` without --server): it
 * needs a launcher, the small Node process that starts and supervises the
 * job's processes.
 * @param {string[]} args
 */
function runsHere(args) {
  if (process.env.JOBDECK_SERVER || args.some((a) => a === '--server' || a.startsWith('--server='))) return false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--data-dir' || a === '--token' || a === '--database') i += 1;
    else if (!a.startsWith('-')) return a === 'run';
  }
  return false;
}

async function start() {
  const out = join(__dirname, '..', 'out', 'node');
  const bundle = join(out, 'cli.cjs');
  let main;
  let afterMain = () => {};
  if (existsSync(bundle) && !process.env.JOBDECK_FROM_SOURCE) {
    // Where the CLI runs jobs from a launcher (Windows: elsewhere a watchdog shell guards them, see
    // guardedPort.ts), it starts now, so its Node start overlaps loading the CLI (the engine takes it over).
    const launcherStart = join(out, 'launcherStart.mjs');
    if (process.platform === 'win32' && runsHere(argv) && existsSync(launcherStart)) {
      const { prestartLauncher } = await import(pathToFileURL(launcherStart).href);
      prestartLauncher(join(out, 'launcher.mjs'));
    }
    if (process.env.JOBDECK_DEBUG) {
      // Stacks are printed only with JOBDECK_DEBUG (cli/main.ts), mapped to the sources: Node's own
      // loader reads the bundle's map (which costs every start ~40 ms, so only then), no code cache.
      process.setSourceMapsEnabled(true);
      ({ main } = require(bundle));
    } else {
      const { loadCli } = require(join(out, 'cliLoader.cjs'));
      const loaded = loadCli(bundle);
      ({ main } = loaded.cli);
      afterMain = loaded.saveCache;
    }
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    ({ main } = await import(pathToFileURL(join(__dirname, '..', 'electron', 'cli', 'main.ts')).href));
  }
  process.exitCode = await main(argv);
  afterMain();
}

start().catch((err) => {
  // The CLI could not be loaded (main() itself reports what goes wrong in a command): exit code 70.
  process.stderr.write(`jobdeck: ${err instanceof Error ? err.message : String(err)}\n`);
  if (process.env.JOBDECK_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exitCode = 70;
});
