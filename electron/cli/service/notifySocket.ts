/**
 * Telling a service manager how `jobdeck serve` is doing (systemd's notify
 * protocol): READY=1 once it listens and recovery is done, a STATUS line,
 * STOPPING=1 when it drains, and WATCHDOG=1 heartbeats when the unit asks
 * for them (WATCHDOG_USEC). Only when NOTIFY_SOCKET is set. Node has no
 * Unix datagram sockets, so the messages go through `systemd-notify`
 * (installed with systemd; the unit sets NotifyAccess=all for it).
 */
import { spawn } from 'node:child_process';

export interface Notifier {
  readonly active: boolean;
  send(fields: Record<string, string>): Promise<void>;
  /** Heartbeats at half the watchdog interval while `healthy()` says so; returns the stop. */
  watchdog(healthy: () => boolean): () => void;
}

export function serviceNotifier(env: NodeJS.ProcessEnv = process.env, onProblem: (message: string) => void = () => {}): Notifier {
  const socket = env.NOTIFY_SOCKET;
  let warned = false;
  const send = (fields: Record<string, string>): Promise<void> =>
    new Promise((resolve) => {
      if (!socket) return resolve();
      const args = [`--pid=${process.pid}`, ...Object.entries(fields).map(([k, v]) => `${k}=${v.replace(/\n/g, ' ')}`)];
      const child = spawn('systemd-notify', args, { env: { ...process.env, NOTIFY_SOCKET: socket }, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', (e) => {
        if (!warned) onProblem(`cannot tell the service manager (${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'systemd-notify is not installed' : e.message})`);
        warned = true;
        resolve();
      });
      child.on('close', (code) => {
        if (code !== 0 && !warned) {
          onProblem(`systemd-notify failed: ${err.trim() || `exit code ${code}`}`);
          warned = true;
        }
        resolve();
      });
    });
  return {
    active: Boolean(socket),
    send,
    watchdog(healthy) {
      const usec = Number(env.WATCHDOG_USEC);
      const forUs = !env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === process.pid;
      if (!socket || !Number.isFinite(usec) || usec <= 0 || !forUs) return () => {};
      const timer = setInterval(() => {
        // A stuck engine sends nothing, and the service manager restarts it.
        if (healthy()) void send({ WATCHDOG: '1' });
      }, Math.max(1000, usec / 2000));
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
