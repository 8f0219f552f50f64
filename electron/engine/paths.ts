/** Where Jobdeck keeps its data. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const APP_NAME = 'Jobdeck';

/**
 * The OS's per-user app-data folder, the same one the desktop app uses
 * (Electron's userData): ~/.config/Jobdeck on Linux, ~/Library/Application
 * Support/Jobdeck on macOS, %APPDATA%\Jobdeck on Windows.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_NAME);
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), APP_NAME);
}

/** --data-dir, else JOBDECK_DATA_DIR, else the OS default. */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  if (env.JOBDECK_DATA_DIR) return resolve(env.JOBDECK_DATA_DIR);
  return defaultDataDir(env);
}

export const dbFile = (dataDir: string): string => join(dataDir, 'jobdeck.db');
/**
 * Where a script version is kept: named by the SHA-256 of its text, written
 * once and executed from there by every run of it (the file keeps its usual
 * name, script.sh, script.py …, inside the version's folder).
 */
export const scriptStorePath = (dataDir: string, sha256: string, fileName: string): string => join(dataDir, 'scripts', sha256, fileName);

export const runDir = (dataDir: string, jobId: number, runId: number): string => join(dataDir, 'runs', String(jobId), String(runId));
/** The folder inside a run's folder whose files become its result files. */
export const OUTPUT_FOLDER = 'output';
export const outputDir = (dataDir: string, jobId: number, runId: number): string => join(runDir(dataDir, jobId, runId), OUTPUT_FOLDER);
