/**
 * Every SQLite connection is opened here, with better-sqlite3's compiled
 * addon named (`nativeBinding`): given by the host (the desktop app's
 * Electron build, or JOBDECK_NATIVE_BINDING), else the one beside the
 * package's own code. Named, it is loaded at once; unnamed, better-sqlite3
 * looks for it through the `bindings` package, which walks the stack and
 * tries a dozen folders, and which cannot find it at all from the CLI
 * bundle (out/node/cli.cjs holds better-sqlite3's code, not its addon).
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let beside: string | null | undefined;

/** The addon npm built into the better-sqlite3 package (null if it is elsewhere: `bindings` then looks). */
function packageAddon(): string | null {
  if (beside !== undefined) return beside;
  try {
    const root = dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
    const file = join(root, 'build', 'Release', 'better_sqlite3.node');
    beside = existsSync(file) ? file : null;
  } catch {
    beside = null;
  }
  return beside;
}

/** A connection to `file` (a path, ':memory:', or a serialized database). */
export function openSqlite(file: string | Buffer, options: Database.Options = {}): Database.Database {
  const nativeBinding = options.nativeBinding ?? (process.env.JOBDECK_NATIVE_BINDING || packageAddon() || undefined);
  return new Database(file, nativeBinding ? { ...options, nativeBinding } : options);
}
