/**
 * A real SMTP server on a loopback port for browser tests, as
 * test/helpers/smtp.ts is for vitest (that one registers vitest hooks through
 * its temp folders, so Playwright cannot load it): smtp-server accepts,
 * mailparser parses, `mails` holds what arrived.
 */
import type { AddressInfo, Server } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface TestSmtp {
  port: number;
  url: string;
  mails: ParsedMail[];
  stop(): Promise<void>;
}

export async function startSmtp(options: { user?: { name: string; password: string } } = {}): Promise<TestSmtp> {
  const mails: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: !options.user,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (options.user && auth.username === options.user.name && auth.password === options.user.password) return cb(null, { user: auth.username });
      cb(new Error('535 authentication failed'));
    },
    onData(stream, _session, cb) {
      simpleParser(stream)
        .then((mail) => {
          mails.push(mail);
          cb();
        })
        .catch(cb);
    },
  });
  server.on('error', () => {});
  const net = (server as unknown as { server: Server }).server;
  await new Promise<void>((resolve, reject) => {
    net.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (net.address() as AddressInfo).port;
  const auth = options.user ? `${options.user.name}:${options.user.password}@` : '';
  return {
    port,
    url: `smtp://${auth}127.0.0.1:${port}`,
    mails,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
