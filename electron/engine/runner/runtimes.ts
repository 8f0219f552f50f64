/** How each runtime turns a script into a command line. */
import { createHash } from 'node:crypto';
import { parse } from 'shell-quote';
import { BUILTIN_RUNTIMES } from '../../../shared/model/job';

export interface RuntimeCommand {
  command: string;
  args: string[];
  /** File name the script is written to, inside the run folder. */
  scriptFile: string;
  /** Environment the runtime needs on top of the job's. */
  env: Record<string, string>;
}

/**
 * SHA-256 of a script's text, the name of its version's file. Computed per
 * run (microseconds for a usual script): a cache keyed by the text would hold
 * scripts of up to a million characters each.
 */
export function scriptDigest(script: string): string {
  return createHash('sha256').update(script).digest('hex');
}

const ESM_SYNTAX = /^\s*(import\s[^(]|import\s*\{|export\s)/m;

export function scriptFileFor(runtime: string, script: string): string {
  switch (runtime) {
    case 'sh':
    case 'bash':
      return 'script.sh';
    case 'node':
      return ESM_SYNTAX.test(script) ? 'script.mjs' : 'script.js';
    case 'python3':
      return 'script.py';
    default:
      return 'script';
  }
}

/** Splits a custom runtime command line (quotes allowed) and puts the script path in place of {script}. */
export function customCommand(runtime: string, scriptPath: string): { command: string; args: string[] } {
  const tokens = parse(runtime, (name) => `$${name}`).map((t) => {
    if (typeof t === 'string') return t;
    if ('op' in t && t.op === 'glob') return t.pattern;
    throw new Error(`runtime "${runtime}" contains shell syntax (${'op' in t ? t.op : 'comment'}); give a plain command line`);
  });
  if (!tokens.some((t) => t.includes('{script}'))) throw new Error(`runtime "${runtime}" does not contain {script}`);
  const [command, ...args] = tokens.map((t) => t.split('{script}').join(scriptPath));
  if (!command) throw new Error('runtime is empty');
  return { command, args };
}

/**
 * The command that runs `scriptPath` with `argv` under a runtime.
 * `nodePath` is the Node binary for the node runtime (the host's own, by default).
 */
export function runtimeCommand(runtime: string, scriptPath: string, argv: string[], nodePath = process.execPath): Omit<RuntimeCommand, 'scriptFile'> {
  switch (runtime as (typeof BUILTIN_RUNTIMES)[number]) {
    case 'sh':
      return { command: 'sh', args: [scriptPath, ...argv], env: {} };
    case 'bash':
      return { command: 'bash', args: [scriptPath, ...argv], env: {} };
    case 'node':
      // ELECTRON_RUN_AS_NODE makes the desktop app's own binary act as Node.
      return { command: nodePath, args: [scriptPath, ...argv], env: { ELECTRON_RUN_AS_NODE: '1' } };
    case 'python3':
      return { command: 'python3', args: [scriptPath, ...argv], env: { PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' } };
    default: {
      const { command, args } = customCommand(runtime, scriptPath);
      return { command, args: [...args, ...argv], env: { PYTHONUNBUFFERED: '1' } };
    }
  }
}

/** The runtime's program name, for "could not start" messages. */
export function runtimeProgram(runtime: string): string {
  if ((BUILTIN_RUNTIMES as readonly string[]).includes(runtime)) return runtime;
  try {
    return customCommand(runtime, 'x').command;
  } catch {
    return runtime;
  }
}

/** Space-separated args, as the scheduled-job-runs seed passes them. */
export const splitArgs = (args: string): string[] => args.split(/\s+/).filter(Boolean);
