/**
 * A real SMTP server for tests (the `smtp-server` package) on a loopback
 * port, parsing what it receives with `mailparser`. It can require a login,
 * offer STARTTLS with a self-signed certificate, reject every message, stall,
 * or be stopped and started again on the same port.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { tempDir } from './temp';

export interface TestSmtp {
  port: number;
  url: string;
  mails: ParsedMail[];
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface SmtpOptions {
  user?: { name: string; password: string };
  tls?: boolean;
  /** Answer every message with this 5xx reply. */
  reject?: string;
  /** Never answer the data (a stalled server). */
  stall?: boolean;
}

let certs: { key: Buffer; cert: Buffer } | null = null;

function selfSigned(): { key: Buffer; cert: Buffer } {
  if (certs) return certs;
  const dir = tempDir();
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=localhost', '-days', '2'], {
    stdio: 'ignore',
  });
  certs = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  return certs;
}

const open: TestSmtp[] = [];

export async function startSmtp(options: SmtpOptions = {}): Promise<TestSmtp> {
  const mails: ParsedMail[] = [];
  let port = 0;
  let server: SMTPServer | null = null;
  const make = () =>
    new SMTPServer({
      authOptional: !options.user,
      disabledCommands: options.tls ? [] : ['STARTTLS'],
      ...(options.tls ? selfSigned() : {}),
      allowInsecureAuth: !options.tls,
      logger: false,
      onAuth(auth, _session, cb) {
        if (options.user && auth.username === options.user.name && auth.password === options.user.password) return cb(null, { user: auth.username });
        cb(new Error('535 authentication failed'));
      },
      onData(stream, _session, cb) {
        if (options.stall) {
          stream.resume();
          return;
        }
        simpleParser(stream)
          .then((mail) => {
            if (options.reject) return cb(Object.assign(new Error(options.reject), { responseCode: 550 }));
            mails.push(mail);
            cb();
          })
          .catch(cb);
      },
    });
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = make();
      server.on('error', () => {});
      const s = server as unknown as { server: import('node:net').Server };
      s.server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (s.server.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();
  const auth = options.user ? `${options.user.name}:${options.user.password}@` : '';
  const smtp: TestSmtp = {
    get port() {
      return port;
    },
    get url() {
      return `smtp://${auth}127.0.0.1:${port}`;
    },
    mails,
    stop: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
    start: listen,
  };
  open.push(smtp);
  return smtp;
}

export async function stopAllSmtp(): Promise<void> {
  for (const s of open.splice(0)) await s.stop();
}
