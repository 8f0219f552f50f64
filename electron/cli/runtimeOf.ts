/** Which runtime runs a script file: from its #! line, else its extension (jobdeck run, jobs add). */
import { basename, extname } from 'node:path';
import { UsageError } from './context';

/** The runtime of a script file, from its extension or its #! line. */
export function inferRuntime(path: string, script: string): string {
  const found = runtimeOf(path, script);
  if (found) return found;
  throw new UsageError(`cannot tell which runtime runs ${path}; pass --runtime (sh, bash, node, python3, or a command line with {script})`);
}

/** The runtime a #! line or an extension names, or null. */
export function runtimeOf(path: string, script: string): string | null {
  const ext = extname(path).toLowerCase();
  const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(script);
  const interpreter = shebang ? basename(shebang[1] === '/usr/bin/env' && shebang[2] ? shebang[2] : shebang[1]!) : '';
  if (interpreter === 'bash') return 'bash';
  if (interpreter === 'sh' || interpreter === 'dash') return 'sh';
  if (interpreter.startsWith('python')) return 'python3';
  if (interpreter === 'node') return 'node';
  if (ext === '.sh') return 'sh';
  if (ext === '.bash') return 'bash';
  if (['.js', '.mjs', '.cjs'].includes(ext)) return 'node';
  if (ext === '.py') return 'python3';
  return null;
}

