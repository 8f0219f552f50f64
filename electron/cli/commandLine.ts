/**
 * What a command line names, read before anything else of the CLI loads.
 * main.ts imports this module first: as it loads, it sets how the process
 * checks input, which zod fixes in each schema as the schema is made.
 */
import * as z from 'zod';

/** Global options that take a value (the word after them is not the command). */
const GLOBAL_VALUES = new Set(['--data-dir', '--server', '--token', '--database']);

/** The command a command line names (its first word that is not a global option or its value), or null. */
export function commandWord(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return null;
    if (GLOBAL_VALUES.has(a)) i += 1;
    else if (!a.startsWith('-')) return a;
  }
  return null;
}

/**
 * Whether a command line's process checks input with zod's interpreted
 * parsers: a command checks a handful of inputs once, and the parsers zod
 * generates (code compiled at each schema's first parse) cost it more than
 * they save: 4-5 ms of `jobdeck run`'s start, half of all its checking.
 * `serve` checks requests for hours and keeps them.
 */
export const interpretsInput = (argv: readonly string[]): boolean => commandWord(argv) !== 'serve';

// The process's own command line (bin/jobdeck.cjs runs main() with it): set before any schema is made.
if (interpretsInput(process.argv.slice(2))) z.config({ jitless: true });
