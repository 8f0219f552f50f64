/**
 * The launcher: a small process that spawns job processes for the engine.
 * Node starts children with fork() on its main thread, which gets slower as
 * the parent grows (see PERFORMANCE.md); spawning from this small process
 * keeps the spawn rate independent of the engine's size and keeps fork()
 * off the engine's event loop.
 *
 * Talks to the engine over the Node IPC channel (JSON), in the messages of
 * launcherProtocol.ts: it checks every command it receives, and sends the
 * host's messages in batches (see send below). If the engine goes
 * away, every running job is stopped: no orphans.
 *
 * Built into a plain JavaScript file (scripts/build-node.mjs, electron-vite)
 * and started with fork(); it loads no TypeScript tooling.
 */
import { check, engineMessageSchema, hostOptionsSchema, type EngineMessage, type HostMessage, type LauncherEnvelope } from './launcherProtocol';
import { ProcessHost } from './processHost';

if (typeof process.send !== 'function') {
  process.stderr.write('launcher is started by the Jobdeck engine, not by hand.\n');
  process.exit(2);
}

/**
 * Flow control: output stops being read at this many messages, or characters
 * of output text, not yet written to the engine, and resumes below the low
 * marks (characters: a bound on memory, not its exact size).
 */
const HIGH_WATER = 64;
const LOW_WATER = 16;
const HIGH_CHARS = 8 * 1024 * 1024;
const LOW_CHARS = 2 * 1024 * 1024;
/** Output pending this large (characters) goes at the end of the turn, not after the report delay. */
const BATCH_CHARS = 1024 * 1024;
/**
 * Longest a start or output report waits for company (ms), unless the
 * options say otherwise. Each message costs both processes a wake-up (sending
 * one took ~0.06 ms of CPU here), and this way a short run's start, output and
 * end go as one. The engine's writer holds lines longer than this (flushMs)
 * before anyone sees them.
 */
const REPORT_DELAY_MS = 5;
let inFlight = 0;
let inFlightChars = 0;
let pending: HostMessage[] = [];
let pendingChars = 0;
let flushImmediate: NodeJS.Immediate | null = null;
let flushTimer: NodeJS.Timeout | null = null;

function post(envelope: LauncherEnvelope, done?: () => void): void {
  process.send?.(envelope, undefined, {}, done ?? (() => {}));
}

/**
 * Messages go to the engine in batches, in order (a busy launcher reports
 * many spawns and exits per turn): with an end or a failure (which frees a
 * slot), at the end of this event-loop turn; otherwise (starts, output)
 * within the report delay. Flow control: when the engine falls behind
 * reading, job output stops being read.
 */
function send(msg: HostMessage): void {
  pending.push(msg);
  if (msg.t === 'lines') for (const line of msg.lines) pendingChars += line.length;
  if (flushImmediate) return;
  // (A warm start's report goes at once: its process's environment does not hold the run key, so
  // the engine could not find it by key if this launcher died holding the report; see processPort.ts.)
  if ((msg.t === 'spawned' && !msg.warm) || (msg.t === 'lines' && pendingChars < BATCH_CHARS)) {
    flushTimer ??= setTimeout(flush, options.reportDelayMs ?? REPORT_DELAY_MS);
    return;
  }
  flushImmediate = setImmediate(flush);
}

function flush(): void {
  if (flushImmediate) clearImmediate(flushImmediate);
  if (flushTimer) clearTimeout(flushTimer);
  flushImmediate = null;
  flushTimer = null;
  if (!process.connected || pending.length === 0) return;
  const msgs = pending;
  const chars = pendingChars;
  pending = [];
  pendingChars = 0;
  inFlight += 1;
  inFlightChars += chars;
  if (inFlight >= HIGH_WATER || inFlightChars >= HIGH_CHARS) host.pauseAll();
  post({ t: 'batch', msgs }, () => {
    inFlight -= 1;
    inFlightChars -= chars;
    if (inFlight <= LOW_WATER && inFlightChars <= LOW_CHARS) host.resumeAll();
  });
}

const parsedOptions = check(hostOptionsSchema, JSON.parse(process.env.JOBDECK_LAUNCHER_OPTIONS ?? '{}'));
delete process.env.JOBDECK_LAUNCHER_OPTIONS;
if (!parsedOptions.ok) {
  process.stderr.write(`launcher: bad options: ${parsedOptions.problem}\n`);
  process.exit(2);
}
const options = parsedOptions.value;
const host = new ProcessHost(send, options);

process.on('message', (raw: unknown) => {
  const parsed = check(engineMessageSchema, raw);
  if (!parsed.ok) {
    // A message this launcher does not understand (a mismatched build): say so, do nothing with it.
    process.stderr.write(`launcher: ignored a malformed message (${parsed.problem})\n`);
    return;
  }
  const envelope = parsed.value;
  for (const msg of envelope.t === 'batch' ? envelope.msgs : [envelope]) obey(msg);
});

function obey(msg: EngineMessage): void {
  switch (msg.t) {
    case 'spawn':
      host.spawn(msg.req);
      break;
    case 'terminate':
      host.terminate(msg.id, msg.graceMs);
      break;
    case 'shutdown':
      void host.shutdown(msg.graceMs).then(exitWhenSent);
      break;
  }
}

/** Exits once every message has reached the engine (or after 2 s). */
function exitWhenSent(): void {
  flush();
  const deadline = Date.now() + 2000;
  const check = () => {
    if ((inFlight <= 0 && pending.length === 0) || !process.connected || Date.now() > deadline) process.exit(0);
    else setTimeout(check, 5);
  };
  check();
}

process.on('disconnect', () => {
  // The engine is gone (it exited or was killed): stop every job it started.
  void host.shutdown(options.orphanGraceMs ?? 2000).then(() => process.exit(0));
});

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  // The engine decides when jobs stop; a terminal's Ctrl+C reaches us too and is ignored.
  process.on(sig, () => {});
}

post({ t: 'ready', pid: process.pid });
