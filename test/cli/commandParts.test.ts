/**
 * A command line that names a command builds only the part of the CLI that
 * holds it. Pinned here: the table of parts says what each part really adds,
 * and a command built alone is the same command as in the whole CLI.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { buildProgram, COMMAND_PARTS, commandWord, interpretsInput } from '../../electron/cli/main';

const topLevel = (program: Command) => program.commands.map((c) => c.name());

/** Every command's help, by its path (`jobs add`), so two builds can be compared. */
function helps(program: Command, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of program.commands) {
    const path = `${prefix}${c.name()}`;
    out.set(path, c.helpInformation());
    for (const [k, v] of helps(c, `${path} `)) out.set(k, v);
  }
  return out;
}

describe('the parts of the CLI', () => {
  it('each adds exactly the commands the table gives it, and together they are the whole CLI, each command once', () => {
    for (const part of COMMAND_PARTS) {
      const program = new Command('jobdeck');
      part.register(program, () => ({}));
      expect(topLevel(program), part.names.join(' ')).toEqual(part.names);
    }
    const whole = topLevel(buildProgram());
    expect([...whole].sort()).toEqual(COMMAND_PARTS.flatMap((p) => p.names).sort());
    expect(new Set(whole).size).toBe(whole.length);
  });

  it('a command line naming a command builds its part alone, and each command is the same as in the whole CLI', () => {
    const whole = helps(buildProgram());
    for (const part of COMMAND_PARTS) {
      for (const name of part.names) {
        const alone = buildProgram(['--data-dir', '/tmp/x', name, '--help']);
        expect(topLevel(alone)).toEqual(part.names);
        for (const [path, text] of helps(alone)) expect(text, path).toBe(whole.get(path));
      }
    }
  });

  it('help, --version, a mistyped command and bare options get the whole CLI', () => {
    const all = COMMAND_PARTS.flatMap((p) => p.names).length;
    for (const argv of [[], ['--help'], ['-V'], ['help', 'run'], ['rnu', 'x.sh'], ['--data-dir', 'run'], ['--', 'run']]) {
      expect(topLevel(buildProgram(argv)), argv.join(' ')).toHaveLength(all);
    }
  });

  it('finds the command after global options and their values, in both spellings', () => {
    expect(commandWord(['run', 'x.sh'])).toBe('run');
    expect(commandWord(['--data-dir', 'jobs', 'runs', 'list'])).toBe('runs');
    expect(commandWord(['--server', 'https://a', '--token', 't', 'jobs'])).toBe('jobs');
    expect(commandWord(['--database=postgres://x/db', 'nodes'])).toBe('nodes');
    expect(commandWord(['--data-dir'])).toBeNull();
    expect(commandWord([])).toBeNull();
  });

  it('checks input with interpreted parsers in every command but serve, which keeps compiled ones', () => {
    expect(interpretsInput(['run', 'x.sh'])).toBe(true);
    expect(interpretsInput(['--data-dir', '/d', 'jobs', 'list'])).toBe(true);
    expect(interpretsInput([])).toBe(true);
    expect(interpretsInput(['serve', '--port', '0'])).toBe(false);
    expect(interpretsInput(['--data-dir', 'serve', 'serve'])).toBe(false);
    expect(interpretsInput(['--database', 'postgres://x/db', 'serve'])).toBe(false);
    // Set as the CLI loads, before any schema is made (zod fixes it in each schema as it is made):
    // commandLine.ts is the first module main.ts loads. This process's command line is vitest's (not serve).
    expect(z.config().jitless).toBe(true);
    const imports = readFileSync(join(import.meta.dirname, '../../electron/cli/main.ts'), 'utf8').match(/^import .*$/gm) ?? [];
    expect(imports[0]).toBe("import { commandWord } from './commandLine';");
  });
});
