/**
 * better-sqlite3 is a native module: the copy in node_modules is built for
 * Node (tests, the CLI, `jobdeck serve`) and does not load in Electron. The
 * desktop app loads its own copy, built for Electron's ABI by
 * scripts/build-electron-native.mjs into build/electron-native/ (packaged
 * into resources/native/), handed to better-sqlite3's nativeBinding option.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function electronNativeBinding(appRoot: string, resourcesPath: string, packaged: boolean): string | undefined {
  const candidates = packaged
    ? [join(resourcesPath, 'native', 'better_sqlite3.node')]
    : [join(appRoot, 'build', 'electron-native', 'better_sqlite3.node')];
  return candidates.find((p) => existsSync(p));
}
