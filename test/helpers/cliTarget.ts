/**
 * Where a CLI test sends its commands: a data folder, or a real `jobdeck
 * serve` of a data folder reached with --server and a token. Tests written
 * against a target run both ways with the same assertions; the server's
 * name, which errors from a server start with, is taken out of standard
 * error (remote.test.ts checks it is there).
 */
import { cli, type CliResult } from './cli';
import { serve } from './serveProcess';
import { tempDir } from './temp';

export const TARGETS = ['data folder', 'server'] as const;
export type TargetKind = (typeof TARGETS)[number];

export interface CliTarget {
  kind: TargetKind;
  dataDir: string;
  cli(args: string[], options?: { input?: string; cwd?: string; env?: Record<string, string> }): Promise<CliResult>;
}

export async function cliTarget(kind: TargetKind): Promise<CliTarget> {
  const dataDir = tempDir();
  if (kind === 'data folder') return { kind, dataDir, cli: (args, options = {}) => cli(args, { ...options, dataDir }) };
  const added = await cli(['users', 'add', 'cli-test', '--role', 'superadmin'], { dataDir });
  if (added.code !== 0) throw new Error(`users add failed: ${added.stderr}`);
  const token = added.stdout.trim();
  const { url } = await serve([], dataDir);
  return {
    kind,
    dataDir,
    async cli(args, options = {}) {
      const r = await cli(['--server', url, '--token', token, ...args], { ...options, env: { JOBDECK_DATA_DIR: '', ...options.env } });
      return { ...r, stderr: r.stderr.split(`jobdeck: ${url}: `).join('jobdeck: ') };
    },
  };
}
