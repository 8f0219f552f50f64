// Builds better-sqlite3 for the Electron version in node_modules into
// build/electron-native/better_sqlite3.node, leaving node_modules' own copy
// (built for Node: tests, the CLI, jobdeck serve) untouched. The desktop app
// hands this file to better-sqlite3's nativeBinding option.
//
// Needs Electron's headers, downloaded from electronjs.org by node-gyp (once,
// then cached). Skips the work when the output matches both versions.
//   node scripts/build-electron-native.mjs [--force]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const out = join(root, 'build', 'electron-native');
const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
const sqliteDir = join(root, 'node_modules', 'better-sqlite3');
const sqliteVersion = JSON.parse(readFileSync(join(sqliteDir, 'package.json'), 'utf8')).version;
const stamp = `electron ${electronVersion} / better-sqlite3 ${sqliteVersion} / ${process.platform}-${process.arch}`;
const stampFile = join(out, 'BUILT_FOR');
const target = join(out, 'better_sqlite3.node');

/** The environment without a nodedir setting: node-gyp must fetch Electron's headers, not use Node's. */
function withoutNodedir() {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.toLowerCase() === 'npm_config_nodedir') delete env[key];
  return env;
}

if (!process.argv.includes('--force') && existsSync(target) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
  console.log(`build/electron-native is up to date (${stamp})`);
  process.exit(0);
}

console.log(`Building better-sqlite3 ${sqliteVersion} for Electron ${electronVersion}…`);
const work = join(out, 'src');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
cpSync(sqliteDir, work, { recursive: true, filter: (p) => !p.includes(`${join(sqliteDir, 'build')}`) && !p.includes('node_modules') });
const gyp = require.resolve('node-gyp/bin/node-gyp.js');
const r = spawnSync(
  process.execPath,
  [gyp, 'rebuild', '--release', `--target=${electronVersion}`, `--arch=${process.arch}`, '--dist-url=https://electronjs.org/headers', '--runtime=electron'],
  { cwd: work, stdio: 'inherit', env: withoutNodedir() },
);
if (r.status !== 0) {
  console.error('Building the Electron copy of better-sqlite3 failed (node-gyp needs Electron headers from electronjs.org and a C++ toolchain).');
  process.exit(r.status ?? 1);
}
copyFileSync(join(work, 'build', 'Release', 'better_sqlite3.node'), target);
writeFileSync(stampFile, stamp);
rmSync(work, { recursive: true, force: true });
console.log(`Wrote ${target}`);
