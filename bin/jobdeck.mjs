#!/usr/bin/env node
// The jobdeck command. Runs the built bundle (out/node/cli.cjs, made by
// `npm install` and `npm run build:node`), so it starts as fast as Node
// itself; from a checkout whose bundle is missing it loads the TypeScript
// sources through tsx instead (slower, same behaviour).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// `jobdeck --version` answers without loading the rest (scripts call it to check what is installed).
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
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

const bundle = fileURLToPath(new URL('../out/node/cli.cjs', import.meta.url));
let main;
let afterMain = () => {};
if (existsSync(bundle) && !process.env.JOBDECK_FROM_SOURCE) {
  // Where the CLI runs jobs from a launcher (Windows: elsewhere a watchdog shell guards them, see
  // guardedPort.ts), it starts now, so its Node start overlaps loading the CLI (the engine takes it over).
  const launcherStart = new URL('../out/node/launcherStart.mjs', import.meta.url);
  if (process.platform === 'win32' && runsHere(argv) && existsSync(launcherStart)) {
    const { prestartLauncher } = await import(launcherStart.href);
    prestartLauncher(fileURLToPath(new URL('../out/node/launcher.mjs', import.meta.url)));
  }
  if (process.env.JOBDECK_DEBUG) {
    // Stacks are printed only with JOBDECK_DEBUG (cli/main.ts), mapped to the sources: Node's own
    // loader reads the bundle's map (which costs every start ~40 ms, so only then), no code cache.
    process.setSourceMapsEnabled(true);
    ({ main } = createRequire(import.meta.url)(bundle));
  } else {
    const { loadCli } = await import(new URL('../out/node/cliLoader.mjs', import.meta.url).href);
    const loaded = loadCli(bundle);
    ({ main } = loaded.cli);
    afterMain = loaded.saveCache;
  }
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../electron/cli/main.ts'));
}
process.exitCode = await main(argv);
afterMain();
