// @ts-check
/**
 * The launcher: a small process that spawns job processes for the engine.
 * Node starts children with fork() on its main thread, which gets slower as
 * the parent grows (see PERFORMANCE.md); spawning from this small process
 * keeps the spawn rate independent of the engine's size and keeps fork()
 * off the engine's event loop.
 *
 * Talks to the engine over the Node IPC channel (JSON).
 * engine -> launcher: {t:'spawn', req}, {t:'terminate', id, graceMs}, {t:'shutdown', graceMs}
 * launcher -> engine: {t:'batch', msgs: [...]}, the ProcessHost messages and {t:'ready', pid}
 * of one event-loop turn.
 * If the engine goes away, every running job is stopped: no orphans.
 */
import { ProcessHost } from './processHost.mjs';

if (typeof process.send !== 'function') {
  console.error('launcher.mjs is started by the Jobdeck engine, not by hand.');
  process.exit(2);
}

const HIGH_WATER = 64;
const LOW_WATER = 16;
let inFlight = 0;
/** @type {unknown[]} */
let pending = [];
let flushQueued = false;

/**
 * Messages of one event-loop turn go to the engine as one IPC message (a
 * busy launcher reports many spawns and exits per turn). Flow control: when
 * the engine falls behind reading, job output stops being read.
 * @param {import('./processHost.mjs').HostMessage | {t: 'ready', pid: number}} msg
 */
function send(msg) {
  pending.push(msg);
  if (!flushQueued) {
    flushQueued = true;
    setImmediate(flush);
  }
}

function flush() {
  flushQueued = false;
  if (!process.connected || pending.length === 0) return;
  const batch = pending;
  pending = [];
  inFlight += 1;
  if (inFlight >= HIGH_WATER) host.pauseAll();
  process.send?.({ t: 'batch', msgs: batch }, undefined, {}, () => {
    inFlight -= 1;
    if (inFlight <= LOW_WATER) host.resumeAll();
  });
}

const options = JSON.parse(process.env.JOBDECK_LAUNCHER_OPTIONS ?? '{}');
delete process.env.JOBDECK_LAUNCHER_OPTIONS;
const host = new ProcessHost(send, options);

process.on('message', (/** @type {any} */ msg) => {
  switch (msg?.t) {
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
});

/** Exits once every message has reached the engine (or after 2 s). */
function exitWhenSent() {
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

for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  // The engine decides when jobs stop; a terminal's Ctrl+C reaches us too and is ignored.
  process.on(sig, () => {});
}

send({ t: 'ready', pid: process.pid });
