#!/usr/bin/env node
// The jobdeck command. Runs the built bundle (out/node/cli.mjs, made by
// `npm install` and `npm run build:node`), so it starts as fast as Node
// itself; from a checkout whose bundle is missing it loads the TypeScript
// sources through tsx instead (slower, same behaviour).
import { existsSync, readFileSync } from 'node:fs';

// `jobdeck --version` answers without loading the rest (scripts call it to check what is installed).
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
  process.exit(0);
}

const bundle = new URL('../out/node/cli.mjs', import.meta.url);
let main;
if (existsSync(bundle) && !process.env.JOBDECK_FROM_SOURCE) {
  process.setSourceMapsEnabled(true);
  ({ main } = await import(bundle.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../electron/cli/main.ts'));
}
process.exitCode = await main(argv);
