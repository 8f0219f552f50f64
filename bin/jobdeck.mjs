#!/usr/bin/env node
// The jobdeck command. Loads the TypeScript sources through tsx, so it runs
// with plain Node straight after `npm install`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../electron/cli/main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
