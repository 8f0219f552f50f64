/**
 * Result files across the nodes of a shared database. Each node keeps the
 * files of the runs it executed; when a client of another node asks for one,
 * that node fetches it from the keeper over HTTP(S) and passes the bytes on
 * as they come. The request carries a credential only the database's
 * processes can make (its nodes, or a CLI given --database): an HMAC, with
 * a key kept in the database, over the keeper's id, the request and a near
 * expiry (the database's clock, which every node follows). An
 * HTTPS keeper is trusted by the certificate fingerprint it registered,
 * checked before anything is sent, since nodes' certificates are often
 * self-signed.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { pipeline, Transform, type Readable } from 'node:stream';
import { JobdeckError, type ErrorCode } from '../../shared/errors';
import { resultFilePath } from '../../shared/methods/runs';
import type { Clock } from './clock';
import type { EngineStore } from './store/engineStore';
import type { NodeRow } from './store/tables/nodesTable';
import { lazyPackage } from './lazyPackage';

/** Only a cluster fetches files from other nodes: a `jobdeck run` does not load HTTP and TLS (4-5 ms). */
const http = lazyPackage<typeof import('node:http')>('node:http');
const tls = lazyPackage<typeof import('node:tls')>('node:tls');

export const NODE_AUTH_SCHEME = 'JobdeckNode';
const KEY_SETTING = 'cluster.key';
/** A credential is good this long after it is made (ms), and no credential claims longer. */
const CREDENTIAL_MS = 60_000;
/** Connecting, the TLS handshake and the keeper's answer (its headers) together (ms). */
const ANSWER_MS = 10_000;
/** An error answer is read within this long (ms). */
const ERROR_MS = 5000;
/** An error answer is read up to this many bytes. */
const ERROR_BYTES = 64 * 1024;

export interface NodeFilesDeps {
  store: EngineStore;
  clock: Clock;
  /** This node's id. */
  owner: string;
  /**
   * The keeper sends nothing for this long while the reader waits: the transfer is cut (ms). No byte passed on for
   * ten times as long (a reader that stopped, or never came): cut too.
   */
  idleMs: number;
}

export interface FetchedFile {
  /** The file's bytes, exactly `size` of them (more is an error, fewer too). */
  stream: Readable;
}


export class NodeFiles {
  private key: Promise<Buffer> | null = null;

  constructor(private readonly deps: NodeFilesDeps) {}

  /** The cluster's key: made by the first node that needs it, the same for all after. */
  private keyOf(): Promise<Buffer> {
    this.key ??= this.deps.store.settings.claim(KEY_SETTING, randomBytes(32).toString('base64url')).then(
      (k) => Buffer.from(k, 'base64url'),
      (err: unknown) => {
        this.key = null;
        throw err;
      },
    );
    return this.key;
  }

  private async mac(from: string, target: string, method: string, url: string, expires: number): Promise<Buffer> {
    return createHmac('sha256', await this.keyOf()).update(`${from}\n${target}\n${method}\n${url}\n${expires}`).digest();
  }

  /** The Authorization header for a request of this node to `target`. */
  async credential(target: string, method: string, url: string): Promise<string> {
    const expires = this.deps.clock.now() + CREDENTIAL_MS;
    return `${NODE_AUTH_SCHEME} ${this.deps.owner}:${expires}:${(await this.mac(this.deps.owner, target, method, url, expires)).toString('base64url')}`;
  }

  /**
   * The node a request's credential comes from; throws UNAUTHORIZED naming
   * what is wrong. `token` is what follows the scheme.
   */
  async authenticate(token: string, method: string, url: string): Promise<string> {
    // One data folder has no other nodes (and no key is made for a stranger's header).
    if (this.deps.store.backend !== 'postgres') throw new JobdeckError('UNAUTHORIZED', 'node credentials are for nodes of a shared database; this server keeps a data folder');
    const m = /^([0-9a-z-]{1,64}):(\d{1,15}):([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) throw new JobdeckError('UNAUTHORIZED', 'node credential: not of the form NODE:EXPIRES:MAC');
    const [, from, expiresText, macText] = m as unknown as [string, string, string, string];
    const expires = Number(expiresText);
    const now = this.deps.clock.now();
    if (expires < now) throw new JobdeckError('UNAUTHORIZED', `node credential: expired ${Math.round((now - expires) / 1000)} s ago (are the nodes on one database?)`);
    if (expires > now + CREDENTIAL_MS + 5000) throw new JobdeckError('UNAUTHORIZED', 'node credential: expires too far ahead');
    const expected = await this.mac(from, this.deps.owner, method, url, expires);
    const given = Buffer.from(macText, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new JobdeckError('UNAUTHORIZED', 'node credential: wrong signature (not made for this node and request, or by a node of another database)');
    }
    // Any process of the database may make one (a CLI on --database too): the key is what it proves it can read.
    return from;
  }

  /** Opens a result file kept by `node`; resolves once the keeper answers with its bytes coming. */
  async fetch(node: NodeRow, runId: number, name: string, size: number, sha256: string): Promise<FetchedFile> {
    const where = `result file ${name} of run ${runId} is kept by node ${node.id} (${node.address}, on ${node.host})`;
    if (node.lost_at !== null || node.stopped_at !== null) {
      throw new JobdeckError('NOT_FOUND', `${where}, which ${node.lost_at !== null ? 'was declared lost' : 'has stopped'}: start it again to download the file`, 'name');
    }
    let base: URL;
    try {
      base = new URL(node.address);
    } catch {
      base = new URL('invalid:');
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new JobdeckError('NOT_FOUND', `${where}, which serves no HTTP (a desktop app or a jobdeck run): open it on that machine`, 'name');
    }
    const host = base.hostname.replace(/^\[|\]$/g, '');
    if ((host === 'localhost' || host === '::1' || host.startsWith('127.')) && node.host !== hostname()) {
      throw new JobdeckError(
        'UNAVAILABLE',
        `${where}, which registered a loopback address: this machine (${hostname()}) cannot reach it there; start that node with --node-url (the URL other machines reach it at)`,
      );
    }
    const path = resultFilePath(runId, name);
    const authorization = await this.credential(node.id, 'GET', path);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), ANSWER_MS);
    let answer: IncomingMessage;
    try {
      const socket = base.protocol === 'https:' ? await pinnedConnection(base, node, deadline.signal) : undefined;
      answer = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = http().request({
          host: base.hostname.replace(/^\[|\]$/g, ''),
          port: base.port || (base.protocol === 'https:' ? 443 : 80),
          path,
          headers: { authorization, host: base.host },
          signal: deadline.signal,
          // A connection of its own, never pooled (the pinned one is given; `agent` must then be left out).
          ...(socket ? { createConnection: () => socket } : { agent: false }),
        });
        req.once('response', resolve);
        req.once('error', reject);
        req.end();
      });
    } catch (err) {
      if (err instanceof JobdeckError) throw err;
      const why = deadline.signal.aborted ? `no answer within ${ANSWER_MS / 1000} s` : (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new JobdeckError('UNAVAILABLE', `${where}, which could not be reached (${why}); try again, or download it from that node`);
    } finally {
      clearTimeout(timer);
    }
    if (answer.statusCode !== 200) throw await refusal(answer, where);
    const length = answer.headers['content-length'];
    if (length !== undefined && Number(length) !== size) {
      answer.destroy();
      throw new JobdeckError('CONFLICT', `${where}, which has it at ${length} bytes; ${size} were recorded`, 'name');
    }
    // A failure on either side (the keeper's connection, the client going away) ends both.
    return { stream: pipeline(answer, exactly(answer, size, sha256, where, this.deps.idleMs), () => {}) };
  }
}

/** A TLS connection to `base` whose certificate is the one `node` registered (nothing is sent before it is checked). */
function pinnedConnection(base: URL, node: NodeRow, signal: AbortSignal): Promise<TLSSocket> {
  const host = base.hostname.replace(/^\[|\]$/g, '');
  return new Promise<TLSSocket>((resolve, reject) => {
    const socket = tls().connect({ host, port: Number(base.port || 443), servername: isIP(host) ? undefined : host, rejectUnauthorized: false });
    const abort = () => socket.destroy(new Error('timed out'));
    signal.addEventListener('abort', abort, { once: true });
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      signal.removeEventListener('abort', abort);
      socket.off('error', reject);
      const seen = socket.getPeerX509Certificate()?.fingerprint256;
      if (!node.cert_sha256 || seen !== node.cert_sha256) {
        socket.destroy();
        reject(
          new JobdeckError(
            'UNAVAILABLE',
            `node ${node.id} at ${node.address} answered with a certificate (${seen ?? 'none'}) other than the one it registered (${node.cert_sha256 ?? 'none'}): not fetched`,
          ),
        );
        return;
      }
      resolve(socket);
    });
  });
}

/** The keeper's error answer as ours: its own message, under the code it gave (refused credentials: UNAVAILABLE). */
async function refusal(answer: IncomingMessage, where: string): Promise<JobdeckError> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  // A keeper that stalls in its error answer is not waited for.
  const timer = setTimeout(() => answer.destroy(), ERROR_MS);
  try {
    for await (const chunk of answer as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      bytes += chunk.length;
      if (bytes > ERROR_BYTES) break;
    }
  } catch {
    // What was read is enough.
  } finally {
    clearTimeout(timer);
  }
  answer.destroy();
  let code: ErrorCode = 'UNAVAILABLE';
  let message = `HTTP ${answer.statusCode}`;
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code?: unknown; message?: unknown };
    if (typeof body.message === 'string') message = body.message.slice(0, 1000);
    if (body.code === 'NOT_FOUND') code = 'NOT_FOUND';
  } catch {
    // Not our JSON: the status says enough.
  }
  return new JobdeckError(code, `${where}, which answered: ${message}`, code === 'NOT_FOUND' ? 'name' : undefined);
}

/**
 * Passes on exactly `size` bytes whose SHA-256 is `sha256`: a keeper that
 * sends more, fewer or other bytes fails the transfer (its reader sees it
 * cut short, never a silently wrong file). A keeper silent while the reader
 * waits is cut after idleMs; a reader that takes nothing (stopped, or never
 * came) after ten times as long.
 */
function exactly(answer: IncomingMessage, size: number, sha256: string, where: string, idleMs: number): Transform {
  const stallMs = idleMs * 10;
  let seen = 0;
  let progressAt = Date.now();
  const hash = createHash('sha256');
  // The last chunk is held back until the whole file is checked: a reader of other bytes of the same size then gets
  // fewer bytes than announced (a cut transfer), never a complete wrong file.
  let held: Buffer | null = null;
  const pass = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      progressAt = Date.now();
      if (seen > size) return done(new JobdeckError('CONFLICT', `${where}: it sent more than the ${size} bytes recorded`, 'name'));
      hash.update(chunk);
      const before = held;
      held = chunk;
      done(null, before ?? undefined);
    },
    flush(done) {
      if (seen !== size) return done(new JobdeckError('UNAVAILABLE', `${where}: the transfer ended after ${seen} of ${size} bytes`));
      const digest = hash.digest('hex');
      if (digest !== sha256) return done(new JobdeckError('CONFLICT', `${where}: the bytes it sent (SHA-256 ${digest}) are not the file recorded (SHA-256 ${sha256})`, 'name'));
      done(null, held ?? undefined);
    },
  });
  const check = setInterval(() => {
    const quiet = Date.now() - progressAt;
    // Paused: the reader is slow (backpressure), not the keeper.
    const readerSlow = answer.isPaused() || pass.readableLength > 0;
    if (quiet > stallMs) pass.destroy(new JobdeckError('UNAVAILABLE', `${where}: nothing was read for ${stallMs / 1000} s`));
    else if (!readerSlow && quiet > idleMs) pass.destroy(new JobdeckError('UNAVAILABLE', `${where}: nothing came for ${idleMs / 1000} s`));
  }, Math.max(50, Math.min(idleMs / 4, 5000)));
  check.unref();
  pass.once('close', () => clearInterval(check));
  return pass;
}
