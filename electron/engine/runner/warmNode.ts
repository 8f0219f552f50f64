/**
 * The bootstrap of a warm Node process (see warmPool.ts): started as
 * `node warmNode.mjs` ahead of demand, detached in a process group of its
 * own, it says it is ready and waits for ONE message on fd 3 (not stdin: the
 * job's stdin stays empty). The message makes it the job: its environment
 * replaced (not merged), its folder, its argv, then the script run as the
 * main module through Node's own entry point (Module.runMain), so
 * `require.main === module`, ESM `.mjs` files, uncaught errors (exit 1 with
 * the stack), unhandled rejections and `process.exitCode` behave as in a
 * fresh `node script.js`. It runs one script, then exits with it.
 *
 * Built into plain JavaScript beside the launcher (scripts/build-node.mjs,
 * electron-vite); it imports only Node's own modules.
 */
import { Console } from 'node:console';
import Module from 'node:module';
import { Socket } from 'node:net';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';

/** Largest message accepted (an environment of a few kilobytes, usually). */
const MAX_MESSAGE = 16 * 1024 * 1024;

interface Handover {
  env: Record<string, string>;
  cwd: string;
  /** The script's path, then its arguments. */
  argv: string[];
}

/**
 * The environment this process started with. The pool starts it with the
 * run's environment minus JOBDECK_*; whatever differs here was changed by
 * the interpreter's start (a version manager's shim), as a cold start of the
 * run would have it changed.
 */
const initial = { ...process.env };
const startCwd = process.cwd();

/** The run's environment as the interpreter's start would have left it (the run's folder where it wrote the one it started in: PWD). */
function asStarted(env: Record<string, string>, cwd: string): Record<string, string> {
  const out = { ...env };
  for (const [k, v] of Object.entries(initial)) if (!k.startsWith('JOBDECK_') && v !== undefined && out[k] !== v) out[k] = v === startCwd ? cwd : v;
  for (const k of Object.keys(out)) if (!k.startsWith('JOBDECK_') && !(k in initial)) delete out[k];
  return out;
}

const channel = new Socket({ fd: 3, readable: true, writable: true });
let text = '';
let started = false;

function become(msg: Handover): void {
  // Replace, not merge: the job sees exactly the environment a fresh process would get.
  for (const key of Object.keys(process.env)) delete process.env[key];
  Object.assign(process.env, asStarted(msg.env, msg.cwd));
  try {
    process.chdir(msg.cwd);
  } catch (err) {
    process.stderr.write(`jobdeck: cannot enter the run folder ${msg.cwd}: ${(err as Error).message}\n`);
    process.exit(127);
  }
  process.argv = [process.execPath, resolve(msg.argv[0] ?? ''), ...msg.argv.slice(1)];
  // Node's own entry point for process.argv[1]: the same CommonJS/ESM choice and error handling as a cold start.
  (Module as unknown as { runMain: () => void }).runMain();
}

channel.setEncoding('utf8');
channel.on('data', (chunk: string) => {
  if (started) return;
  text += chunk;
  const nl = text.indexOf('\n');
  if (nl < 0) {
    if (text.length > MAX_MESSAGE) process.exit(2);
    return;
  }
  started = true;
  // fd 3 is closed before the script runs: it is the launcher's, not the job's.
  channel.removeAllListeners();
  channel.on('error', () => {});
  channel.destroy();
  become(JSON.parse(text.slice(0, nl)) as Handover);
});
// The launcher retired this process, or went away: leave quietly.
channel.on('end', () => {
  if (!started) process.exit(0);
});
channel.on('error', () => {
  if (!started) process.exit(0);
});
/**
 * Code a fresh process compiles as its script starts, compiled now, before
 * this one says it is ready: making and compiling a CommonJS module, and
 * console formatting, cost ~2 ms the first time (handover to first line of
 * `console.log(1)`: ~5.5 -> ~3.5 ms measured inside the process). Nothing of
 * it is left for the job: the module is made but never loaded (it is in no
 * require.cache and no module's children), and that console writes nowhere.
 */
function compileAhead(): void {
  try {
    const name = '/jobdeck-warm-up.js';
    const module = new Module(name) as Module & { _compile(content: string, filename: string): unknown };
    module.filename = name;
    module.paths = [];
    module._compile('module.exports = 0;', name);
    const nowhere = new Writable({ write: (_chunk, _encoding, done) => done() });
    new Console({ stdout: nowhere, stderr: nowhere }).log('%s %d', 'warm', 1, { up: [1] });
  } catch {
    // Only a head start: the job runs the same without it.
  }
}

compileAhead();
// Made now, not at the script's first console.log (a cold start makes them lazily too): the same
// streams on the same pipes, a millisecond or two off the run's start.
void process.stdout;
void process.stderr;
channel.write('R');
