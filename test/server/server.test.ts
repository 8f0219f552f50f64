/** Bad input, live-event resume, downloads and shutdown of `jobdeck serve`. */
import { describe, expect, it } from 'vitest';
import { Store } from '../../electron/engine/store/store';
import { dbFile } from '../../electron/engine/paths';
import type { LogLine } from '../../shared/model/run';
import { until } from '../helpers/engine';
import { body, startTestServer } from '../helpers/server';

const json = { 'content-type': 'application/json' };

describe('bad input', () => {
  it('answers every kind with a 4xx {code, message, field} and keeps serving', async () => {
    const t = await startTestServer({ server: { bodyLimit: 64 * 1024 } });
    const job = await t.client().call('jobs.create', { name: 'j', script: 'true' });
    const cases: [string, RequestInit & { path: string }, number, Partial<{ code: string; field: string }>][] = [
      ['malformed JSON', { path: '/api/jobs', method: 'POST', headers: json, body: '{"name": "x",' }, 400, { code: 'VALIDATION_FAILED', field: 'body' }],
      ['a JSON array body', { path: '/api/jobs', method: 'POST', headers: json, body: '[1,2]' }, 400, { field: 'body' }],
      ['wrong type', { path: '/api/jobs', method: 'POST', headers: json, body: JSON.stringify({ name: 5, script: 'x' }) }, 400, { field: 'name' }],
      ['unknown field', { path: '/api/jobs', method: 'POST', headers: json, body: JSON.stringify({ name: 'x', script: 'x', colour: 'red' }) }, 400, { field: 'colour' }],
      ['unknown query field', { path: '/api/runs?colour=red', method: 'GET' }, 400, { field: 'colour' }],
      ['wrong query type', { path: '/api/runs?limit=lots', method: 'GET' }, 400, { field: 'limit' }],
      ['body too large', { path: '/api/jobs', method: 'POST', headers: json, body: JSON.stringify({ name: 'big', script: 'x'.repeat(100_000) }) }, 413, { code: 'PAYLOAD_TOO_LARGE' }],
      ['very long string', { path: '/api/jobs', method: 'POST', headers: json, body: JSON.stringify({ name: 'n'.repeat(5000), script: 'x' }) }, 400, { field: 'name' }],
      ['unknown id', { path: '/api/jobs/987654', method: 'GET' }, 404, { code: 'NOT_FOUND' }],
      ['id that is not a number', { path: '/api/jobs/abc', method: 'GET' }, 400, { field: 'id' }],
      ['negative id', { path: '/api/runs/-3', method: 'GET' }, 400, { field: 'id' }],
      ['huge id', { path: '/api/runs/99999999999999999999999', method: 'GET' }, 400, { field: 'id' }],
      ['unknown route', { path: '/api/nothing-here', method: 'GET' }, 404, { code: 'NOT_FOUND' }],
      ['not JSON content type', { path: '/api/jobs', method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'name=x' }, 415, { code: 'VALIDATION_FAILED' }],
      ['interval out of range', { path: `/api/jobs/${job.id}`, method: 'PATCH', headers: json, body: JSON.stringify({ changes: { schedule: { kind: 'interval', seconds: 301 } } }) }, 400, { field: 'changes.schedule.seconds' }],
      ['path trick in a file name', { path: `/api/runs/1/files/..%2F..%2F..%2Fetc%2Fpasswd`, method: 'GET' }, 400, { field: 'name' }],
      ['bad run filter date', { path: '/api/runs?from=20221301', method: 'GET' }, 400, { field: 'from' }],
      ['prototype pollution', { path: '/api/jobs', method: 'POST', headers: json, body: '{"__proto__": {"x": 1}, "name": "p", "script": "x"}' }, 400, { code: 'VALIDATION_FAILED' }],
    ];
    const problems: string[] = [];
    for (const [label, { path, ...init }, status, expected] of cases) {
      const res = await t.fetch(path, init);
      const data = await body(res);
      if (res.status !== status) problems.push(`${label}: status ${res.status}, expected ${status} (${JSON.stringify(data)})`);
      else if (typeof data.message !== 'string' || !data.code) problems.push(`${label}: no {code, message}: ${JSON.stringify(data)}`);
      for (const [k, v] of Object.entries(expected)) if (data[k] !== v) problems.push(`${label}: ${k} is ${data[k]}, expected ${v}`);
    }
    expect(problems).toEqual([]);
    expect((await t.fetch('/api/health')).status).toBe(200);
    expect((await t.client().call('jobs.list', {})).total).toBe(1);
  });
});

describe('live events', () => {
  it('resumes a log stream after a dropped connection with no line lost or repeated', async () => {
    const t = await startTestServer();
    const c = t.client('viewer', { reconnectMinMs: 20 });
    const job = await t.client().call('jobs.create', {
      name: 'chatty',
      script: 'i=1; while [ $i -le 3000 ]; do echo "line $i"; i=$((i+1)); if [ $((i % 300)) -eq 0 ]; then sleep 0.05; fi; done',
      schedule: { kind: 'manual' },
    });
    const run = await t.client().call('runs.trigger', { jobId: job.id });
    const seen: LogLine[] = [];
    const states: string[] = [];
    let dropped = 0;
    const unsubscribe = c.subscribe(
      { runId: run.id, afterSeq: 0 },
      {
        onEvent: (e) => {
          if (e.type !== 'log') return;
          seen.push(...e.lines);
          // Drop the connection twice while lines are flowing.
          if ((seen.length > 500 && dropped === 0) || (seen.length > 1800 && dropped === 1)) {
            dropped += 1;
            for (const ws of t.server.app.websocketServer.clients) ws.terminate();
          }
        },
        onState: (s) => states.push(s),
      },
    );
    const done = await t.engine.waitForRun(run.id);
    await until(() => seen.length >= done.lastSeq, 15_000, 'every line');
    unsubscribe();
    expect(dropped).toBe(2);
    expect(states.filter((s) => s === 'open').length).toBeGreaterThanOrEqual(3);
    expect(seen.map((l) => l.seq)).toEqual(Array.from({ length: done.lastSeq }, (_, i) => i + 1));
    expect(seen.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual(Array.from({ length: 3000 }, (_, i) => `line ${i + 1}`));
    c.close?.();
  });

  it('publishes run status changes per job', async () => {
    const t = await startTestServer();
    const c = t.client('viewer');
    const job = await t.client().call('jobs.create', { name: 'watched', script: 'echo hi', schedule: { kind: 'manual' } });
    const other = await t.client().call('jobs.create', { name: 'other', script: 'true', schedule: { kind: 'manual' } });
    const statuses: string[] = [];
    const off = c.subscribe({ jobId: job.id }, { onEvent: (e) => e.type === 'run' && statuses.push(`${e.run.jobName}:${e.run.status}`) });
    await until(async () => (await t.client().call('scheduler.status', {})) && true);
    await new Promise((r) => setTimeout(r, 100));
    await t.engine.waitForRun((await t.client().call('runs.trigger', { jobId: other.id })).id);
    await t.engine.waitForRun((await t.client().call('runs.trigger', { jobId: job.id })).id);
    await until(() => statuses.includes('watched:SUCCEEDED'));
    off();
    expect(statuses[0]).toBe('watched:QUEUED');
    expect(statuses).toContain('watched:IN_PROGRESS');
    expect(statuses.some((s) => s.startsWith('other:'))).toBe(false);
    c.close?.();
  });
});

describe('shutdown', () => {
  it('lets runs finish within the grace period, then cancels the rest; nothing stays IN_PROGRESS', async () => {
    const t = await startTestServer();
    const c = t.client();
    const quick = await c.call('jobs.create', { name: 'quick', script: 'sleep 0.3; echo done', schedule: { kind: 'manual' } });
    const slow = await c.call('jobs.create', { name: 'slow', script: 'echo start; sleep 60', schedule: { kind: 'manual' } });
    const r1 = await c.call('runs.trigger', { jobId: quick.id });
    const r2 = await c.call('runs.trigger', { jobId: slow.id });
    await until(async () => (await c.call('runs.get', { id: r2.id })).startedAt !== null);
    await t.server.close(1500);
    const store = Store.open(dbFile(t.dataDir));
    try {
      const rows = store.db.prepare('SELECT id, status, error FROM runs ORDER BY id').all();
      expect(rows).toEqual([
        { id: r1.id, status: 'SUCCEEDED', error: null },
        { id: r2.id, status: 'CANCELLED', error: 'cancelled by engine shutdown' },
      ]);
    } finally {
      store.close();
    }
  });
});

describe('the console page', () => {
  it('is served with isolation headers and a style nonce of its own each time, no inline styles otherwise', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'jobdeck-page-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><html><head><title>x</title></head><body></body></html>');
    const t = await startTestServer({ server: { rendererDir: dir } });
    const nonces = [];
    for (let i = 0; i < 2; i++) {
      const res = await t.fetch('/', { role: null });
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).not.toContain('unsafe-inline');
      const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
      expect(await res.text()).toContain(`<meta name="jobdeck-style-nonce" content="${nonce}" />`);
      nonces.push(nonce);
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(res.headers.get('permissions-policy')).toContain('camera=()');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
    expect(nonces[0]).not.toBe(nonces[1]);
    const api = await t.fetch('/api/jobs');
    expect(api.headers.get('referrer-policy')).toBe('no-referrer');
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
  });
});


describe('a huge log', () => {
  it('is downloaded twice at once and paged without stalling the server', { timeout: 120_000 }, async () => {
    const t = await startTestServer();
    // 24 MB without a newline: 384 "lines" of 64 KiB.
    const job = await t.client().call('jobs.create', { name: 'wide', script: 'head -c 25165824 /dev/zero | tr "\\0" "x"', schedule: { kind: 'manual' } });
    const run = await t.engine.waitForRun((await t.client().call('runs.trigger', { jobId: job.id })).id);
    let worst = 0;
    let stop = false;
    const pinger = (async () => {
      while (!stop) {
        const started = Date.now();
        await (await fetch(`${t.url}/api/health`)).text();
        worst = Math.max(worst, Date.now() - started);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const download = async () => {
      const res = await t.fetch(`/api/runs/${run.id}/log`);
      let bytes = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
      return bytes;
    };
    const page = async () => {
      const res = await t.fetch(`/api/runs/${run.id}/logs?limit=10000`);
      return (await res.text()).length;
    };
    const [a, b, pageBytes] = await Promise.all([download(), download(), page()]);
    stop = true;
    await pinger;
    expect(a).toBeGreaterThan(25_165_824);
    expect(b).toBe(a);
    expect(pageBytes).toBeLessThan(6 * 1024 * 1024);
    expect(worst).toBeLessThan(500);
  });
});
