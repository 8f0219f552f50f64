/**
 * A script file chosen or dropped into the editor: read as text, refused
 * when it is not text or too long, and its runtime guessed from its first
 * line (#!) or else its extension, so a dropped report.py runs as Python.
 */
import { SCRIPT_MAX } from '../../../shared/model/job';

export type ScriptFile = { ok: true; text: string; runtime: string | null; why: string | null } | { ok: false; error: string };

const BY_EXTENSION: Record<string, string> = { sh: 'sh', bash: 'bash', js: 'node', mjs: 'node', cjs: 'node', py: 'python3' };
const BY_INTERPRETER: Record<string, string> = { sh: 'sh', dash: 'sh', bash: 'bash', node: 'node', python3: 'python3', python: 'python3' };

/** The runtime a script names on its #! line ("#!/usr/bin/env python3", "#!/bin/bash -e"), if one Jobdeck has. */
export function runtimeFromShebang(text: string): string | null {
  const first = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(text);
  if (!first) return null;
  const program = first[1]!.split('/').pop()!;
  const name = program === 'env' ? (first[2] ?? '') : program;
  return BY_INTERPRETER[name] ?? null;
}

export function runtimeFromFileName(name: string): string | null {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? null : (BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? null);
}

/** Reads the file; the text with a leading byte-order mark removed (it would hide a #! line from the kernel). */
export async function readScriptFile(file: Pick<File, 'name' | 'size' | 'text'>): Promise<ScriptFile> {
  // UTF-8 takes at most 4 bytes a character: anything larger cannot fit, and is not read at all.
  if (file.size > SCRIPT_MAX * 4) return { ok: false, error: `${file.name} is ${file.size.toLocaleString()} bytes; a script can be at most ${SCRIPT_MAX.toLocaleString()} characters` };
  if (file.size === 0) return { ok: false, error: `${file.name} is empty` };
  const text = (await file.text()).replace(/^\uFEFF/, '');
  if (text.includes('\u0000')) return { ok: false, error: `${file.name} is not a text file (it holds NUL bytes)` };
  if (text.length > SCRIPT_MAX) return { ok: false, error: `${file.name} has ${text.length.toLocaleString()} characters; a script can be at most ${SCRIPT_MAX.toLocaleString()}` };
  const fromShebang = runtimeFromShebang(text);
  if (fromShebang) return { ok: true, text, runtime: fromShebang, why: 'its #! line' };
  const fromName = runtimeFromFileName(file.name);
  return { ok: true, text, runtime: fromName, why: fromName ? 'its extension' : null };
}
