/**
 * A bounded fuzz of the HTTP API: a fixed seed, a few thousand requests built
 * from the contract's routes with hostile values (wrong types, huge and
 * negative ids, hex and exponent numbers, traversal names, bidirectional
 * text, nulls, arrays, deep objects, wrong content types, bad tokens). No
 * answer may be a 5xx; every error is {code, message} (the envelope on the
 * background-tasks routes); the health check answers within a second
 * throughout.
 */
import { describe, expect, it } from 'vitest';
import { contract, METHOD_NAMES } from '../../shared/contract';
import { ERROR_CODES } from '../../shared/errors';
import { startTestServer } from '../helpers/server';

/** mulberry32: a small seeded PRNG, so a failure replays exactly. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T,>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  return { next, pick, chance: (p: number) => next() < p };
}

const SEED = 20261202;
const REQUESTS = 2500;
const CONCURRENCY = 8;

const ODD_TEXT = [
  '',
  ' ',
  'x'.repeat(5000),
  '../../etc/passwd',
  '..%2F..%2Fjobdeck.db',
  '%zz',
  '\u202Eevil\u202C',
  '\u200B\u200B',
  'null',
  '{"a":1}',
  '<script>alert(1)</script>',
  "'; DROP TABLE jobs; --",
  '😀'.repeat(60),
  'job 1',
  '__proto__',
  'constructor',
];
const ODD_IDS = ['1', '2', '0', '-1', '0x10', '1e3', '99999999999999999999', 'abc', '1.5', ' 1', '%00', '', 'NaN', 'Infinity'];
const ODD_VALUES: unknown[] = [null, true, false, 0, -1, 1.5, 1e308, -1e308, '', 'text', [], [1, 2], {}, { a: { b: { c: { d: {} } } } }, 'x'.repeat(20_000)];
const SCHEDULES: unknown[] = [
  { kind: 'manual' },
  { kind: 'interval', seconds: 0 },
  { kind: 'interval', seconds: 301 },
  { kind: 'interval', seconds: 30 },
  { kind: 'cron', expression: '* * *', timezone: 'UTC' },
  { kind: 'cron', expression: '0 0 * * *', timezone: 'Mars/Olympus' },
  { kind: 'nope' },
  null,
];

describe('the HTTP API under a bounded fuzz', () => {
  it(`answers ${REQUESTS} hostile requests with no 5xx, errors in shape, and health within 1 s`, { timeout: 240_000 }, async () => {
    const t = await startTestServer({ server: { auth: { maxFailures: 1_000_000, failureDelayMs: 0 } } });
    const c = t.client();
    await c.call('scheduler.pause', {});
    const job = await c.call('jobs.create', { name: 'target', script: 'true', schedule: { kind: 'manual' }, overlap: 'queue' });
    const run = await t.engine.waitForRun((await c.call('runs.trigger', { jobId: job.id })).id);
    const r = prng(SEED);

    const routes = [
      ...METHOD_NAMES.map((name) => ({ method: contract[name].http.method as string, path: contract[name].http.path, name: name as string })),
      { method: 'GET', path: '/api/v1/backgroundtasks', name: 'seed.list' },
      { method: 'POST', path: '/api/v1/backgroundtasks/trigger/:taskName', name: 'seed.trigger' },
      { method: 'POST', path: '/scheduled-jobs/:jobId/runs', name: 'seed.queue' },
      { method: 'GET', path: '/scheduled-jobs/:jobId/runs', name: 'seed.runs' },
      { method: 'GET', path: '/scheduled-jobs/:jobId/runs/:runId/result-file', name: 'seed.file' },
      { method: 'POST', path: '/api/session', name: 'session' },
      { method: 'DELETE', path: '/api/session', name: 'session.end' },
      { method: 'GET', path: '/api/events', name: 'events' },
      { method: 'GET', path: '/api/health', name: 'health' },
    ];
    const idFor = () => (r.chance(0.5) ? r.pick([String(job.id), String(run.id)]) : r.pick(ODD_IDS));
    const textFor = () => encodeURIComponent(r.pick(ODD_TEXT)).slice(0, 3000);
    const valueFor = (key: string): unknown => {
      if (key === 'schedule') return r.pick(SCHEDULES);
      if (key === 'script') return r.pick(['true', 'echo hi', '', 'x'.repeat(100), 42]);
      if (key === 'name') return r.chance(0.5) ? r.pick(ODD_TEXT) : `fuzz ${Math.floor(r.next() * 1e6)}`;
      if (key === 'jobId' || key === 'id') return r.chance(0.7) ? job.id : r.pick(ODD_VALUES);
      return r.chance(0.5) ? r.pick(ODD_VALUES) : r.pick(ODD_TEXT);
    };
    const bodyFor = (name: string): string | undefined => {
      const roll = r.next();
      if (roll < 0.08) return undefined;
      if (roll < 0.14) return r.pick(['null', '[]', '"x"', '1', '{', '{"a":', '\u0000', '{"__proto__":{"x":1}}']);
      const spec = (contract as Record<string, { input?: { shape?: Record<string, unknown> } }>)[name];
      const keys = Object.keys(spec?.input?.shape ?? {}).concat(r.chance(0.3) ? ['unknownField'] : []);
      const body: Record<string, unknown> = {};
      for (const key of keys) if (r.chance(0.7)) body[key] = valueFor(key);
      return JSON.stringify(body);
    };
    const authFor = (): Record<string, string> => {
      const roll = r.next();
      if (roll < 0.1) return {};
      if (roll < 0.2) return { authorization: r.pick(['Bearer wrong', 'Bearer ', 'Basic abc', 'Bearer jd_' + 'x'.repeat(300)]) };
      return { authorization: `Bearer ${t.tokens[r.pick(['viewer', 'admin', 'superadmin'] as const)]}` };
    };

    const problems: string[] = [];
    let healthWorst = 0;
    let done = false;
    const health = (async () => {
      while (!done) {
        const started = Date.now();
        const res = await fetch(`${t.url}/api/health`);
        await res.text();
        healthWorst = Math.max(healthWorst, Date.now() - started);
        await new Promise((res2) => setTimeout(res2, 50));
      }
    })();

    let next = 0;
    const worker = async () => {
      while (next < REQUESTS) {
        const i = next++;
        const route = r.pick(routes);
        const path = route.path
          .replace(/:([A-Za-z]+)/g, (_m, p: string) => (p === 'taskName' || p === 'name' ? (r.chance(0.5) ? 'target' : textFor()) : idFor()))
          .replace(/\*$/, () => textFor());
        const query = route.method === 'GET' && r.chance(0.6) ? `?${r.pick(['limit', 'offset', 'status', 'from', 'afterSeq', 'colour', 'search', 'order'])}=${textFor()}` : '';
        const method = r.chance(0.05) ? r.pick(['PUT', 'PATCH', 'DELETE', 'POST']) : route.method;
        const body = method === 'GET' ? undefined : bodyFor(route.name);
        const type = r.chance(0.1) ? r.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/xml', '']) : 'application/json';
        let res: Response;
        try {
          res = await fetch(`${t.url}${path}${query}`, { method, headers: { ...authFor(), ...(body !== undefined && type ? { 'content-type': type } : {}) }, body });
        } catch (err) {
          problems.push(`#${i} ${method} ${path}${query}: no answer (${(err as Error).message})`);
          continue;
        }
        const text = await res.text();
        if (res.status >= 500) problems.push(`#${i} ${method} ${path}${query}: ${res.status} ${text.slice(0, 200)}`);
        if (res.status >= 400) {
          let data: Record<string, unknown> | null = null;
          try {
            data = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          const envelope = path.startsWith('/api/v1/backgroundtasks');
          const shaped = envelope
            ? data !== null && typeof (data as { params?: { err?: unknown } }).params?.err === 'string'
            : data !== null && (ERROR_CODES as readonly string[]).includes(String(data.code)) && typeof data.message === 'string';
          if (!shaped) problems.push(`#${i} ${method} ${path}${query}: ${res.status} not in the error shape: ${text.slice(0, 200)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    done = true;
    await health;
    expect(problems.slice(0, 20)).toEqual([]);
    expect(healthWorst).toBeLessThan(1000);
    // Still serving, and its store is sound.
    expect((await fetch(`${t.url}/api/health`)).status).toBe(200);
    expect(t.engine.store.integrityCheck()).toBe('ok');
  });
});
