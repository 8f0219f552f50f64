// Runs the desktop app (start), its dev mode (dev) or its packaging (package),
// after checking that the Electron binary is there: the electron package
// downloads it from GitHub at install time, which some machines cannot reach.
// Without it, say so in one sentence and point to the browser console instead
// of failing later in node-gyp.
//   node scripts/desktop.mjs start|dev|package
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const mode = process.argv[2] ?? '';
/** @type {Record<string, string[][]>} */
const steps = {
  start: [['npm', 'run', 'build:native'], ['npx', 'electron-vite', 'build'], ['npx', 'electron-vite', 'preview']],
  dev: [['npm', 'run', 'build:native'], ['npx', 'electron-vite', 'dev']],
  // electron-builder is fetched when packaging (it needs Node 22.12 or newer; nothing else here does).
  package: [['npm', 'run', 'build:native'], ['npx', 'electron-vite', 'build'], ['npx', '--yes', 'electron-builder@26.17.0', '--config', 'electron-builder.yml']],
};
if (!steps[mode]) {
  console.error('usage: node scripts/desktop.mjs start|dev|package');
  process.exit(2);
}

/** The Electron binary, if installed (the electron package writes its path to path.txt). */
function electronBinary() {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const dir = join(root, 'node_modules', 'electron');
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

if (!electronBinary()) {
  // One quiet attempt at the download the install step may have skipped.
  const installer = join(root, 'node_modules', 'electron', 'install.js');
  if (existsSync(installer)) spawnSync(process.execPath, [installer], { stdio: 'ignore', timeout: 120_000, env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '' } });
}
if (!electronBinary()) {
  console.error(
    'The Electron binary is not installed (npm could not download it from GitHub), so the desktop app cannot start here; ' +
      'use the same console in a browser instead: npm run build && npx jobdeck serve, then open http://127.0.0.1:7070.',
  );
  process.exit(1);
}
for (const [cmd, ...args] of steps[mode] ?? []) {
  const r = spawnSync(/** @type {string} */ (cmd), args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
