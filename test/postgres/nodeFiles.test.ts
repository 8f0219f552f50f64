/**
 * Result files across nodes: three engines on one PostgreSQL database, each
 * serving HTTP(S) on loopback (b over HTTPS with a self-signed certificate);
 * a client of any node downloads a file another node keeps, byte for byte,
 * and every way the fetch can go wrong gives a clear error, never a wrong
 * file: forged, replayed or expired node credentials, a certificate other
 * than the registered one, a stopped or unreachable keeper, a file changed
 * on the keeper's disk.
 */
import { createHash, createHmac, randomBytes, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type AddressInfo } from 'node:net';
import { Engine, type EngineOptions } from '../../electron/engine/engine';
import { outputDir } from '../../electron/engine/paths';
import { startServer, type RunningServer } from '../../electron/server/server';
import { recordEngineError } from '../helpers/engine';
import { freePort, postgresMissing, startPostgres, type TestPostgres } from '../helpers/postgres';
import { tcpProxy } from '../helpers/tcpProxy';


const missing = postgresMissing();
const SETUP = { actor: 'setup', role: 'superadmin' as const };

interface Node {
  engine: Engine;
  server: RunningServer;
  url: string;
}

describe.skipIf(missing)(`result files across nodes${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let pgServer: TestPostgres;
  let db: string;
  let database: string;
  let tls: { cert: Buffer; key: Buffer };
  let a: Node, b: Node, c: Node;
  let token: string;
  let runId: number;
  let jobId: number;
  const big = randomBytes(3 * 1024 * 1024 + 17);
  const servers: RunningServer[] = [];
  // Folders of this file's own: the helper's are removed after each test, and these nodes live across tests.
  const folders: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobdeck-nodefiles-'));
    folders.push(dir);
    return dir;
  };

  async function node(database: string, tls?: { cert: Buffer; key: Buffer }, dataDir = tempDir(), extra: Partial<EngineOptions> = {}): Promise<Node> {
    const engine = await Engine.connect({ dataDir, database, startScheduler: false, killGraceMs: 500, onError: recordEngineError(dataDir), ...extra });
    const server = await startServer({ engine, port: 0, rendererDir: null, tls });
    servers.push(server);
    await engine.startScheduling(server.url, tls ? new X509Certificate(tls.cert).fingerprint256 : null);
    return { engine, server, url: server.url };
  }

  /** A GET from the test: b's certificate is self-signed, so it is not checked here (the nodes pin it). */
  function get(n: Node, path: string, authorization = `Bearer ${token}`) {
    return new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const req = (n.url.startsWith('https:') ? httpsRequest : httpRequest)(`${n.url}${path}`, { headers: { authorization }, rejectUnauthorized: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }
  const text = (r: { body: Buffer }) => r.body.toString('utf8');
  const message = (r: { body: Buffer }) => (JSON.parse(text(r)) as { message: string }).message;
  const filePath = (name: string) => `/api/runs/${runId}/files/${name}`;

  beforeAll(async () => {
    pgServer = await startPostgres();
    database = await pgServer.createDatabase();
    db = database.slice(database.lastIndexOf('/') + 1);
    const dir = tempDir();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], {
      stdio: 'ignore',
    });
    a = await node(database);
    tls = { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
    b = await node(database, tls);
    c = await node(database);
    token = (await a.engine.handlers['users.add']({ name: 'ops', role: 'admin' }, SETUP)).token;
    // The big file is written by the job from a file next to it (random bytes: any corruption shows).
    const source = join(tempDir(), 'big.bin');
    writeFileSync(source, big);
    const job = await a.engine.handlers['jobs.create'](
      {
        name: 'reporter',
        script: `printf 'total,3\\n' > "$JOBDECK_OUTPUT_DIR/report.csv"; cp ${source} "$JOBDECK_OUTPUT_DIR/big.bin"; mkdir -p "$JOBDECK_OUTPUT_DIR/sub dir"; echo odd > "$JOBDECK_OUTPUT_DIR/sub dir/ü #%?'(x).csv"`,
        schedule: { kind: 'manual' },
      },
      SETUP,
    );
    jobId = job.id;
    // Triggered on b (over HTTPS): b executes it and keeps its files.
    const queued = await b.engine.handlers['runs.trigger']({ jobId: job.id }, SETUP);
    runId = queued.id;
    expect((await b.engine.waitForRun(runId)).status).toBe('SUCCEEDED');
  }, 60_000);

  afterAll(async () => {
    for (const s of servers.splice(0)) await s.close(0);
    await pgServer?.stop();
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });

  it('a client of any node downloads a file another node keeps, byte for byte', async () => {
    for (const n of [a, c]) {
      const res = await get(n, filePath('big.bin'));
      expect(res.status, text(res)).toBe(200);
      const body = res.body;
      expect(body.length).toBe(big.length);
      expect(createHash('sha256').update(body).digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
      expect(res.headers['x-checksum-sha256']).toBe(createHash('sha256').update(big).digest('hex'));
    }
    const csv = await get(a, filePath('report.csv'));
    expect([csv.status, csv.headers['content-type'], text(csv)]).toEqual([200, 'text/csv; charset=utf-8', 'total,3\n']);
    // A name with a space, a folder and characters URLs encode, through both nodes' routes.
    const odd = await get(a, `/api/runs/${runId}/files/${encodeURIComponent('sub dir')}/${encodeURIComponent("ü #%?'(x).csv")}`);
    expect([odd.status, text(odd)]).toEqual([200, 'odd\n']);
    // The preview too, and b's own file from b itself.
    expect(await a.engine.handlers['runs.readFile']({ id: runId, name: 'report.csv' }, SETUP)).toEqual({ text: 'total,3\n', size: 8, truncated: false });
    const preview = await c.engine.handlers['runs.readFile']({ id: runId, name: 'big.bin', maxBytes: 10 }, SETUP);
    expect([preview.size, preview.truncated]).toEqual([big.length, true]);
    expect((await get(b, filePath('report.csv'))).status).toBe(200);
  });

  it("refuses node credentials that are forged, replayed elsewhere, expired, another database's, or on another route", async () => {
    const key = Buffer.from(
      JSON.parse((await pgServer.query<{ value: string }>(db, `SELECT value FROM jobdeck.settings WHERE key = 'cluster.key'`))[0]!.value) as string,
      'base64url',
    );
    const sign = (k: Buffer, target: string, url: string, expires: number, from = a.engine.instanceId) =>
      `JobdeckNode ${from}:${expires}:${createHmac('sha256', k).update(`${from}\n${target}\nGET\n${url}\n${expires}`).digest('base64url')}`;
    const soon = Date.now() + 30_000;
    const good = sign(key, b.engine.instanceId, filePath('report.csv'), soon);
    const ok = await get(b, filePath('report.csv'), good);
    expect(ok.status, text(ok)).toBe(200);
    const refused = async (path: string, credential: string) => {
      const res = await get(b, path, credential);
      return [res.status, message(res)];
    };
    // The signature alone (a character changed).
    const forged = good.slice(0, -2) + (good.endsWith('AA') ? 'BB' : 'AA');
    expect(await refused(filePath('report.csv'), forged)).toEqual([401, expect.stringContaining('wrong signature')]);
    // Another sender named on a captured credential.
    expect(await refused(filePath('report.csv'), good.replace(a.engine.instanceId, c.engine.instanceId))).toEqual([401, expect.stringContaining('wrong signature')]);
    // Made for one file, used for another; made for node c, sent to b.
    expect(await refused(filePath('big.bin'), good)).toEqual([401, expect.stringContaining('wrong signature')]);
    expect(await refused(filePath('report.csv'), sign(key, c.engine.instanceId, filePath('report.csv'), soon))).toEqual([401, expect.stringContaining('wrong signature')]);
    // Expired, or claiming too long a life.
    expect(await refused(filePath('report.csv'), sign(key, b.engine.instanceId, filePath('report.csv'), Date.now() - 5000))).toEqual([401, expect.stringContaining('expired')]);
    expect(await refused(filePath('report.csv'), sign(key, b.engine.instanceId, filePath('report.csv'), Date.now() + 3_600_000))).toEqual([
      401,
      expect.stringContaining('too far ahead'),
    ]);
    // Another database's key.
    expect(await refused(filePath('report.csv'), sign(randomBytes(32), b.engine.instanceId, filePath('report.csv'), soon))).toEqual([
      401,
      expect.stringContaining('wrong signature'),
    ]);
    // A correctly signed credential for another route opens nothing.
    expect(await refused('/api/jobs', sign(key, b.engine.instanceId, '/api/jobs', soon))).toEqual([401, expect.stringContaining('result files only')]);
    expect(await refused(filePath('report.csv'), 'JobdeckNode nonsense')).toEqual([401, expect.stringContaining('not of the form')]);
  });

  it('a file changed on the keeper, a certificate other than the registered one, an unreachable keeper: clear errors, no wrong bytes', async () => {
    const onB = join(outputDir(b.engine.dataDir, jobId, runId), 'report.csv');
    appendFileSync(onB, 'tampered\n');
    const changed = await get(a, filePath('report.csv'));
    expect(changed.status).toBe(409);
    expect(text(changed)).toContain('which has it at 17 bytes; 8 were recorded');
    // Other bytes of the same size: refused before any byte goes out (a small file), or a cut transfer (a large one, whose
    // last chunk is held back until the whole is checked); never the wrong file.
    writeFileSync(onB, 'total,4\n');
    const same = await get(a, filePath('report.csv'));
    expect([same.status, message(same)]).toEqual([409, expect.stringMatching(/: the bytes it sent \(SHA-256 [0-9a-f]{64}\) are not the file recorded/)]);
    // The preview too: a wrong file is a CONFLICT, not a keeper being unavailable.
    await expect(a.engine.handlers['runs.readFile']({ id: runId, name: 'report.csv' }, SETUP)).rejects.toMatchObject({ code: 'CONFLICT' });
    const bigOnB = join(outputDir(b.engine.dataDir, jobId, runId), 'big.bin');
    const flipped = Buffer.from(big);
    flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 0xff;
    writeFileSync(bigOnB, flipped);
    await expect(get(a, filePath('big.bin'))).rejects.toThrow(/aborted|socket hang up|ECONNRESET|terminated/);
    writeFileSync(bigOnB, big);
    writeFileSync(onB, 'total,3\n');
    expect(text(await get(a, filePath('report.csv')))).toBe('total,3\n');

    const [row] = await pgServer.query<{ cert_sha256: string; address: string }>(db, `SELECT cert_sha256, address FROM jobdeck.nodes WHERE id = '${b.engine.instanceId}'`);
    await pgServer.query(db, `UPDATE jobdeck.nodes SET cert_sha256 = 'AA:BB' WHERE id = '${b.engine.instanceId}'`);
    const impostor = await get(a, filePath('report.csv'));
    expect(impostor.status).toBe(503);
    expect(text(impostor)).toContain('other than the one it registered (AA:BB)');
    await pgServer.query(db, `UPDATE jobdeck.nodes SET cert_sha256 = '${row!.cert_sha256}' WHERE id = '${b.engine.instanceId}'`);

    const closedPort = await freePort();
    await pgServer.query(db, `UPDATE jobdeck.nodes SET address = 'https://127.0.0.1:${closedPort}' WHERE id = '${b.engine.instanceId}'`);
    const unreachable = await get(a, filePath('report.csv'));
    expect(unreachable.status).toBe(503);
    expect(text(unreachable)).toContain('could not be reached (ECONNREFUSED)');
    await pgServer.query(db, `UPDATE jobdeck.nodes SET address = '${row!.address}' WHERE id = '${b.engine.instanceId}'`);

    rmSync(onB);
    const gone = await get(c, filePath('report.csv'));
    expect(gone.status).toBe(404);
    expect(text(gone)).toContain('which answered: result file report.csv of run');
    expect((await get(a, filePath('big.bin'))).status).toBe(200);
  });

  it('a keeper that goes silent mid-transfer is cut; a reader that pauses longer than that is not', async () => {
    const d = await node(database, undefined, tempDir(), { peerIdleMs: 300 });
    // A file larger than every buffer on the way (sockets, streams), so a paused reader holds the keeper back.
    const job = await a.engine.handlers['jobs.create']({ name: 'huge', script: 'head -c 64000000 /dev/urandom > "$JOBDECK_OUTPUT_DIR/huge.bin"', schedule: { kind: 'manual' } }, SETUP);
    const huge = await b.engine.waitForRun((await b.engine.handlers['runs.trigger']({ jobId: job.id }, SETUP)).id);
    expect(huge.status).toBe('SUCCEEDED');
    const onDisk = createHash('sha256').update(readFileSync(join(outputDir(b.engine.dataDir, job.id, huge.id), 'huge.bin'))).digest('hex');
    // The real keeper (b), read by a client that stops for a second after its first bytes: every byte comes.
    const slow = await new Promise<Buffer>((resolve, reject) => {
      const req = httpRequest(`${d.url}/api/runs/${huge.id}/files/huge.bin`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
        const chunks: Buffer[] = [];
        let paused = false;
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          if (!paused) {
            paused = true;
            res.pause();
            setTimeout(() => res.resume(), 1000);
          }
        });
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    expect(createHash('sha256').update(slow).digest('hex')).toBe(onDisk);

    // A HEAD answers the file's headers without pulling it from the keeper (counted through a proxy in front of b).
    const [kept] = await pgServer.query<{ address: string }>(db, `SELECT address FROM jobdeck.nodes WHERE id = '${b.engine.instanceId}'`);
    const proxy = await tcpProxy(b.url.replace('https:', 'http:'));
    await pgServer.query(db, `UPDATE jobdeck.nodes SET address = 'https://127.0.0.1:${new URL(proxy.url).port}' WHERE id = '${b.engine.instanceId}'`);
    try {
      const head = await new Promise<{ status: number; length: string | undefined }>((resolve, reject) => {
        const req = httpRequest(`${d.url}/api/runs/${huge.id}/files/huge.bin`, { method: 'HEAD', headers: { authorization: `Bearer ${token}` } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, length: res.headers['content-length'] }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(head).toEqual({ status: 200, length: '64000000' });
      await new Promise((r) => setTimeout(r, 500));
      expect(proxy.connections()).toBe(1);
      expect(proxy.bytesDown()).toBeLessThan(8_000_000);
    } finally {
      await pgServer.query(db, `UPDATE jobdeck.nodes SET address = '${kept!.address}' WHERE id = '${b.engine.instanceId}'`);
    }

    // A keeper that answers, sends half the file and then nothing: the reader's transfer is cut, not left hanging.
    const hostile = createServer((socket) => {
      socket.once('data', () => socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n`) && socket.write(big.subarray(0, big.length / 2)));
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
    const [row] = await pgServer.query<{ address: string }>(db, `SELECT address FROM jobdeck.nodes WHERE id = '${b.engine.instanceId}'`);
    await pgServer.query(db, `UPDATE jobdeck.nodes SET address = 'http://127.0.0.1:${(hostile.address() as AddressInfo).port}' WHERE id = '${b.engine.instanceId}'`);
    try {
      const started = Date.now();
      await expect(get(d, filePath('big.bin'))).rejects.toThrow(/aborted|socket hang up|ECONNRESET|terminated/);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await pgServer.query(db, `UPDATE jobdeck.nodes SET address = '${row!.address}' WHERE id = '${b.engine.instanceId}'`);
      hostile.close();
    }
  });

  it('names the keeper once it has stopped; a node restarted on its folder serves its files again', async () => {
    await b.server.close(0);
    servers.splice(servers.indexOf(b.server), 1);
    const res = await get(a, filePath('big.bin'));
    expect(res.status).toBe(404);
    expect(message(res)).toBe(
      `result file big.bin of run ${runId} is kept by node ${b.engine.instanceId} (${b.url}, on ${(await a.engine.services.nodes.list()).find((n) => n.id === b.engine.instanceId)!.host}), which has stopped: start it again to download the file`,
    );
    // An upgrade: a new process (a new node, on a new port) on b's folder.
    const again = await node(database, tls, b.engine.dataDir);
    expect(again.engine.instanceId).not.toBe(b.engine.instanceId);
    const res2 = await get(c, filePath('big.bin'));
    expect(res2.status, text(res2)).toBe(200);
    expect(createHash('sha256').update(res2.body).digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
  });
});
