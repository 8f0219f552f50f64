/**
 * README "The native API": errors are {code, message, field} with the HTTP
 * status of their code. The table is pinned here, and each code a client can
 * provoke is provoked over real HTTP.
 */
import { describe, expect, it } from 'vitest';
import { HTTP_STATUS } from '../../shared/errors';
import { fixture } from '../helpers/process';
import { startTestServer } from '../helpers/server';

const README_TABLE = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  NAME_TAKEN: 409,
  JOB_ALREADY_RUNNING: 409,
  JOB_ALREADY_QUEUED: 409,
  JOB_ARCHIVED: 409,
  LOCK_HELD: 409,
  CONFLICT: 409,
  INVALID_STATE: 409,
  SCHEDULER_LOCKED: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

describe('README › The native API › error codes and their HTTP statuses', () => {
  it('maps every code to the status the README gives', () => {
    expect(HTTP_STATUS).toEqual(README_TABLE);
  });

  it('answers each code a client can provoke with its status and shape', async () => {
    const t = await startTestServer({ server: { auth: { maxFailures: 3, failureDelayMs: 1 } } });
    const json = { 'content-type': 'application/json' };
    const post = (path: string, body: unknown, role: 'viewer' | 'admin' | 'superadmin' | null = 'superadmin') =>
      t.fetch(path, { method: 'POST', headers: json, body: JSON.stringify(body), role });
    const seen: Record<string, [number, unknown]> = {};
    const note = async (code: string, res: Response) => {
      seen[code] = [res.status, await res.json()];
    };

    await note('VALIDATION_FAILED', await post('/api/jobs', { name: 'x', script: 'true', schedule: { kind: 'interval', seconds: 301 } }));
    await note('NOT_FOUND', await t.fetch('/api/jobs/999999'));
    await note('FORBIDDEN', await post('/api/jobs', { name: 'x', script: 'true' }, 'viewer'));
    const skip: any = await (await post('/api/jobs', { name: 'skip', script: fixture('slow.sh'), schedule: { kind: 'manual' } })).json();
    await note('NAME_TAKEN', await post('/api/jobs', { name: 'SKIP', script: 'true' }));
    await post(`/api/jobs/${skip.id}/runs`, { args: '30' });
    await note('JOB_ALREADY_RUNNING', await post(`/api/jobs/${skip.id}/runs`, {}));
    const queue: any = await (await post('/api/jobs', { name: 'queue', script: fixture('slow.sh'), schedule: { kind: 'manual' }, overlap: 'queue', lock: 'L' })).json();
    const holder: any = await (await post(`/api/jobs/${queue.id}/runs`, { args: '30' })).json();
    await post(`/api/jobs/${queue.id}/runs`, {});
    await note('JOB_ALREADY_QUEUED', await post(`/api/jobs/${queue.id}/runs`, {}));
    await note('LOCK_HELD', await post('/api/locks/L/break', {}));
    const old: any = await (await post('/api/jobs', { name: 'old', script: 'true', schedule: { kind: 'manual' } })).json();
    await post(`/api/jobs/${old.id}/archive`, {});
    await note('JOB_ARCHIVED', await post(`/api/jobs/${old.id}/runs`, {}));
    await t.fetch(`/api/jobs/${old.id}`, { method: 'PATCH', headers: json, body: JSON.stringify({ changes: { group: 'a' } }) });
    await note('CONFLICT', await t.fetch(`/api/jobs/${old.id}`, { method: 'PATCH', headers: json, body: JSON.stringify({ ifRevision: 1, changes: { group: 'b' } }) }));
    await t.fetch(`/api/runs/${holder.id}/cancel`, { method: 'POST', headers: json, body: '{}' });
    await t.engine.waitForRun(holder.id);
    await note('INVALID_STATE', await post(`/api/runs/${holder.id}/cancel`, {}));
    await note('PAYLOAD_TOO_LARGE', await post('/api/jobs', { name: 'big', script: 'x'.repeat(9 * 1024 * 1024) }));
    await note('UNAUTHORIZED', await t.fetch('/api/jobs', { headers: { authorization: 'Bearer wrong' }, role: null }));
    for (let i = 0; i < 3; i++) await t.fetch('/api/jobs', { headers: { authorization: 'Bearer wrong' }, role: null });
    await note('RATE_LIMITED', await t.fetch('/api/jobs', { headers: { authorization: 'Bearer wrong' }, role: null }));

    for (const [code, [status, body]] of Object.entries(seen)) {
      expect([code, status], JSON.stringify(body)).toEqual([code, README_TABLE[code as keyof typeof README_TABLE]]);
      expect(body).toMatchObject({ code, message: expect.any(String) });
    }
    expect(Object.keys(seen).sort()).toEqual(
      Object.keys(README_TABLE).filter((c) => !['SCHEDULER_LOCKED', 'UNAVAILABLE', 'INTERNAL'].includes(c)).sort(),
    );
    await t.client().call('runs.cancel', { id: (await t.client().call('runs.list', { jobId: skip.id })).items[0]!.id });
  });
});
