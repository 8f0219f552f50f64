/**
 * The workflow seed's WebSocket exchange against a real server: watch a run
 * (every task, then changes live, in the seed's words), resume after a
 * dropped connection, start a task by message, and the same authentication
 * and roles as the rest of the server.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { until } from '../helpers/engine';
import { startTestServer, type TestServer } from '../helpers/server';

interface Client {
  ws: WebSocket;
  messages: any[];
  closed: Promise<number>;
}

function connect(t: TestServer, token: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/api/events`, { headers: { authorization: `Bearer ${token}` } });
    const messages: any[] = [];
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.on('message', (d) => messages.push(JSON.parse(String(d))));
    ws.on('open', () => resolve({ ws, messages, closed }));
    ws.on('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
    ws.on('error', reject);
  });
}

/** The latest seed status of each task, from every setTasksStatuses received so far. */
function latest(messages: any[], workflowId: number): Record<string, { status: string; executionTime: number | null; body: string | null }> {
  const out: Record<string, any> = {};
  for (const m of messages) if (m.type === 'setTasksStatuses' && m.workflowId === workflowId) Object.assign(out, m.tasks);
  return out;
}

async function workflowJob(t: TestServer, gate: string) {
  return t.client().call('jobs.create', {
    name: 'etl',
    schedule: { kind: 'manual' },
    workflow: {
      tasks: [
        { name: 'extract', script: `echo '::return {"rows": 5}'` },
        { name: 'wait', script: `while [ ! -f ${gate} ]; do sleep 0.05; done` },
        { name: 'load', script: 'exit 3', continueOnFailure: true },
      ],
    },
  });
}

describe('workflow seed WebSocket', () => {
  it('watches a workflow instance: every task, then each change, in the seed words; resumes after a dropped connection', async () => {
    const t = await startTestServer();
    const gate = `${t.dataDir}/gate`;
    const job = await workflowJob(t, gate);
    const run = await t.client().call('runs.trigger', { jobId: job.id });
    const first = await connect(t, t.tokens.viewer);
    first.ws.send(JSON.stringify({ type: 'watchWorkflowInstance', workflowId: run.id }));
    await until(() => latest(first.messages, run.id)['#.wait']?.status === 'queued', 15_000, 'the wait task running');
    const seen = latest(first.messages, run.id);
    expect(seen['#.extract']).toEqual({ path: '#.extract', status: 'ok', executionTime: expect.any(Number), body: '{"rows":5}' });
    expect(seen['#.load']).toMatchObject({ status: 'inactive', executionTime: null, body: null });

    // The connection drops while the run goes on; a new one watches again and gets every task as it is now.
    first.ws.terminate();
    await first.closed;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(gate, '');
    await t.client().call('runs.wait', { id: run.id, timeoutSeconds: 30 });
    const second = await connect(t, t.tokens.viewer);
    second.ws.send(JSON.stringify({ type: 'watchWorkflowInstance', workflowId: run.id }));
    await until(() => Object.keys(latest(second.messages, run.id)).length === 3);
    const now = latest(second.messages, run.id);
    expect(now['#.wait']!.status).toBe('ok');
    expect(now['#.load']).toMatchObject({ status: 'failed', executionTime: expect.any(Number) });
    expect(JSON.parse(now['#.load']!.body!)).toMatchObject({ error: 'exit code 3', failure: 'EXIT', result: { exitCode: 3 } });
    second.ws.close();
  });

  it('starts a task by message (admins only), and the watcher sees it run', async () => {
    const t = await startTestServer();
    const gate = `${t.dataDir}/gate`;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(gate, '');
    const job = await workflowJob(t, gate);
    const viewer = await connect(t, t.tokens.viewer);
    viewer.ws.send(JSON.stringify({ type: 'runTask', jobId: job.id, taskPath: '#.extract' }));
    await until(() => viewer.messages.some((m) => m.type === 'error'));
    expect(viewer.messages.find((m) => m.type === 'error').error.code).toBe('FORBIDDEN');

    const admin = await connect(t, t.tokens.admin);
    admin.ws.send(JSON.stringify({ type: 'runTask', jobId: job.id, taskPath: '#.extract' }));
    const started = await until(() => admin.messages.find((m) => m.type === 'taskStarted'));
    expect(started).toMatchObject({ taskPath: '#.extract', workflowId: expect.any(Number) });
    await t.client().call('runs.wait', { id: started.workflowId, timeoutSeconds: 30 });
    admin.ws.send(JSON.stringify({ type: 'watchWorkflowInstance', workflowId: started.workflowId }));
    await until(() => Object.keys(latest(admin.messages, started.workflowId)).length === 3);
    expect(latest(admin.messages, started.workflowId)['#.wait']!.status).toBe('inactive');

    // Re-run that task inside the same instance: the watcher sees it queued again, then ok.
    const before = admin.messages.length;
    admin.ws.send(JSON.stringify({ type: 'runTask', workflowId: started.workflowId, taskPath: '#.extract' }));
    await until(() => admin.messages.slice(before).some((m) => m.type === 'taskStarted'));
    await until(() => admin.messages.slice(before).some((m) => m.type === 'setTasksStatuses' && m.tasks['#.extract']?.status === 'ok'));

    for (const bad of [{ type: 'watchWorkflowInstance', workflowId: 99_999 }, { type: 'runTask', workflowId: started.workflowId, taskPath: 'extract' }, { type: 'watchWorkflowInstance' }]) {
      const n = admin.messages.length;
      admin.ws.send(JSON.stringify(bad));
      const err = await until(() => admin.messages.slice(n).find((m) => m.type === 'error'));
      expect(err.error.field ?? err.error.message).toBeTruthy();
    }
    admin.ws.close();
    viewer.ws.close();
  });

  it('sends a large tree in messages of bounded size, and the reader is not cut off', async () => {
    const t = await startTestServer();
    const big = `x=$(head -c 15000 /dev/zero | tr '\\0' a); echo "::return \\"$x\\""`;
    const subtasks = Array.from({ length: 120 }, (_, i) => ({ name: `t${i}`, script: big }));
    const job = await t.client().call('jobs.create', { name: 'wide', schedule: { kind: 'manual' }, workflow: { maxParallel: 16, tasks: [{ name: 'group', subtasks }] } });
    const run = await t.client().call('runs.trigger', { jobId: job.id });
    const done = await t.client().call('runs.wait', { id: run.id, timeoutSeconds: 120 });
    expect(done.status).toBe('SUCCEEDED');
    const c = await connect(t, t.tokens.viewer);
    const sizes: number[] = [];
    c.ws.on('message', (d) => sizes.push(String(d).length));
    c.ws.send(JSON.stringify({ type: 'watchWorkflowInstance', workflowId: run.id }));
    await until(() => Object.keys(latest(c.messages, run.id)).length === 121, 15_000);
    expect(sizes.length).toBeGreaterThan(2);
    expect(Math.max(...sizes)).toBeLessThan(1024 * 1024);
    expect(JSON.parse(latest(c.messages, run.id)['#.group.t7']!.body!)).toHaveLength(15_000);
    c.ws.close();
  });

  it('holds the subscription limit against a burst of watches', async () => {
    const t = await startTestServer({ server: { events: { subscriptions: 10 } } });
    const job = await t.client().call('jobs.create', { name: 'one', schedule: { kind: 'manual' }, workflow: { tasks: [{ name: 'a', script: 'true' }] } });
    const runs: number[] = [];
    for (let i = 0; i < 15; i++) {
      const r = await t.client().call('runs.trigger', { jobId: job.id });
      await t.client().call('runs.wait', { id: r.id, timeoutSeconds: 30 });
      runs.push(r.id);
    }
    const c = await connect(t, t.tokens.viewer);
    const base = t.engine.listenerCount;
    // Sent back to back: they arrive together, before any of them is answered.
    for (const id of runs) c.ws.send(JSON.stringify({ type: 'watchWorkflowInstance', workflowId: id }));
    await until(() => c.messages.filter((m) => m.type === 'error' || m.type === 'setTasksStatuses').length >= 15);
    expect(c.messages.filter((m) => m.type === 'error')).toHaveLength(5);
    expect(t.engine.listenerCount - base).toBe(10);
    c.ws.close();
    await c.closed;
    await until(() => t.engine.listenerCount === base);
  });

  it('refuses the upgrade without a valid token', async () => {
    const t = await startTestServer();
    await expect(connect(t, 'not-a-token')).rejects.toMatchObject({ status: 401 });
  });
});
