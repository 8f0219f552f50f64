/**
 * jobdeck/react's connection and job tracking without a browser, against a
 * scripted socket and fetch: the token rides as a subprotocol, never in the
 * URL; subscriptions and watches are sent again after each reconnect; a
 * silent connection is dropped; a refused token stops it; the job's active
 * runs are read after the server confirms the subscription; tasks come in
 * tree order; a run that ends hands the component back.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Run } from '../../shared/model/run';
import { JobTracker } from '../embed/jobTracker';
import { EmbedSocket, type SocketLike } from '../embed/socket';
import type { JobifyOutcome, JobifyState } from '../embed/types';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  message(msg: unknown) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  serverClose(code: number, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  types() {
    return this.sent.map((m) => m.type);
  }
}

function harness(options: { pingMs?: number; whyRefused?: () => Promise<string | null> } = {}) {
  const sockets: FakeSocket[] = [];
  const socket = new EmbedSocket('http://jobs.test:7070', 'jd_secret', {
    reconnectMinMs: 5,
    reconnectMaxMs: 20,
    pingMs: options.pingMs ?? 60_000,
    whyRefused: options.whyRefused,
    openSocket: (url, protocols) => {
      const s = new FakeSocket(url, protocols);
      sockets.push(s);
      return s;
    },
  });
  const last = () => sockets[sockets.length - 1]!;
  return { socket, sockets, last };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(fn: () => unknown, what: string) {
  const deadline = Date.now() + 2000;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await wait(2);
  }
}

afterEach(() => vi.unstubAllGlobals());

describe('the embed socket', () => {
  it('carries the token as a subprotocol, and sends subscriptions and watches again after a drop', async () => {
    const { socket, sockets, last } = harness();
    const events: unknown[] = [];
    socket.subscribe({ jobId: 3 }, { onEvent: (e) => events.push(e) });
    expect(last().url).toBe('ws://jobs.test:7070/api/events');
    expect(last().protocols).toEqual(['jobdeck', 'jobdeck.bearer.jd_secret']);
    last().open();
    socket.watch(9, () => undefined);
    expect(last().sent).toEqual([{ type: 'subscribe', id: 'e1', sub: { jobId: 3 } }, { type: 'watchWorkflowInstance', workflowId: 9 }]);
    last().message({ type: 'event', id: 'e1', event: { type: 'job', jobId: 3, job: null } });
    expect(events).toHaveLength(1);

    last().serverClose(1006);
    expect(socket.state).toBe('closed');
    await until(() => sockets.length === 2, 'a reconnect');
    last().open();
    expect(socket.state).toBe('open');
    expect(last().sent).toEqual([{ type: 'subscribe', id: 'e1', sub: { jobId: 3 } }, { type: 'watchWorkflowInstance', workflowId: 9 }]);
    socket.close();
  });

  it('drops a connection that stops answering its pings, and reconnects', async () => {
    const { socket, sockets, last } = harness({ pingMs: 10 });
    socket.subscribe({ jobId: 3 }, { onEvent: () => undefined });
    last().open();
    await until(() => last().types().includes('ping'), 'a ping');
    await until(() => sockets.length === 2, 'the silent connection to be dropped');
    expect(sockets[0]!.readyState).toBe(3);
    socket.close();
  });

  it('stops for good when the token is refused: by close code, or when a connection that never opened is explained', async () => {
    const a = harness();
    const states: (string | null)[] = [];
    a.socket.onState((_s, error) => states.push(error));
    a.socket.subscribe({ jobId: 3 }, { onEvent: () => undefined });
    a.last().open();
    a.last().serverClose(4401, 'the token or session is no longer valid');
    await wait(40);
    expect(a.sockets).toHaveLength(1);
    expect(a.socket.error).toBe('the token or session is no longer valid');

    const b = harness({ whyRefused: async () => 'the token is not valid' });
    b.socket.subscribe({ jobId: 3 }, { onEvent: () => undefined });
    b.last().serverClose(1006);
    await until(() => b.socket.error === 'the token is not valid', 'the refusal');
    await wait(40);
    expect(b.sockets).toHaveLength(1);
  });
});

const run = (over: Partial<Run>): Run =>
  ({
    id: 7,
    jobId: 3,
    jobName: 'Invoices',
    status: 'QUEUED',
    phase: null,
    queuedAt: '2026-01-01T00:00:00.000Z',
    startedAt: null,
    progress: null,
    attempt: 1,
    round: 0,
    tasks: null,
    error: null,
    finishedAt: null,
    ...over,
  }) as Run;

describe('the job tracker', () => {
  it('reads active runs once subscribed, follows one run and its tasks in tree order, hands back on the end, and catches up after a reconnect', async () => {
    let active: Run[] = [];
    const fetched: string[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      fetched.push(url);
      expect((init.headers as Record<string, string>).authorization).toBe('Bearer jd_secret');
      expect(init.credentials).toBe('omit');
      const body = url.includes('/tasks') ? ['#.a', '#.a.x', '#.a.y', '#.b'].map((path) => ({ path })) : { items: active, total: active.length };
      return new Response(JSON.stringify(body), { status: 200 });
    });
    const { socket, sockets, last } = harness();
    const states: (JobifyState | null)[] = [];
    const done: JobifyOutcome[] = [];
    const tracker = new JobTracker(socket, { url: 'http://jobs.test:7070', token: 'jd_secret' }, 3, { onState: (s) => states.push(s), onDone: (o) => done.push(o) });
    tracker.start();
    last().open();
    expect(fetched).toEqual([]);
    last().message({ type: 'subscribed', id: 'e1' });
    await until(() => fetched.length === 1, 'the active runs');
    expect(fetched[0]).toBe('http://jobs.test:7070/api/runs?jobId=3&status=QUEUED,IN_PROGRESS&limit=20');
    await until(() => states.length > 0, 'a state');
    expect(states[states.length - 1]).toBeNull();

    const event = (r: Run) => last().message({ type: 'event', id: 'e1', event: { type: 'run', run: r } });
    event(run({ status: 'QUEUED' }));
    expect(states[states.length - 1]).toMatchObject({ status: 'QUEUED', message: 'Waiting to start', tasks: null, percent: null });
    event(run({ status: 'IN_PROGRESS', tasks: 4, progress: { percent: 25, message: '1 of 4 tasks done' } }));
    expect(last().sent).toContainEqual({ type: 'watchWorkflowInstance', workflowId: 7 });
    // Statuses may arrive in any order; the list is in tree order once the paths are read.
    last().message({ type: 'setTasksStatuses', workflowId: 7, tasks: { '#.b': { path: '#.b', status: 'inactive', executionTime: null, body: null } } });
    last().message({
      type: 'setTasksStatuses',
      workflowId: 7,
      tasks: {
        '#.a': { path: '#.a', status: 'ok', executionTime: 1, body: '{"rows":3}' },
        '#.a.x': { path: '#.a.x', status: 'queued', executionTime: 2, body: null },
        '#.a.y': { path: '#.a.y', status: 'failed', executionTime: 2, body: '{"error":"exit 3"}' },
      },
    });
    await until(() => states[states.length - 1]?.tasks?.[0]?.path === '#.a', 'tree order');
    const shown = states[states.length - 1]!;
    expect(shown).toMatchObject({ status: 'IN_PROGRESS', percent: 25, message: '1 of 4 tasks done', connection: 'open' });
    expect(shown.tasks!.map((t) => [t.path, t.name, t.parent, t.depth, t.status])).toEqual([
      ['#.a', 'a', null, 1, 'ok'],
      ['#.a.x', 'x', '#.a', 2, 'queued'],
      ['#.a.y', 'y', '#.a', 2, 'failed'],
      ['#.b', 'b', null, 1, 'inactive'],
    ]);

    // A late, older snapshot does not take it back to queued.
    event(run({ status: 'QUEUED' }));
    expect(states[states.length - 1]).toMatchObject({ status: 'IN_PROGRESS' });
    event(run({ status: 'FAILED', error: 'task #.a.y failed', finishedAt: '2026-01-01T00:00:05.000Z' }));
    expect(states[states.length - 1]).toBeNull();
    expect(done).toEqual([{ id: 7, jobId: 3, status: 'FAILED', error: 'task #.a.y failed', finishedAt: '2026-01-01T00:00:05.000Z' }]);
    expect(last().sent).toContainEqual({ type: 'unwatchWorkflowInstance', workflowId: 7 });

    // Dropped; a run starts meanwhile; after the reconnect the server confirms again and the run is read.
    last().serverClose(1006);
    expect(states[states.length - 1]).toBeNull();
    active = [run({ id: 8, status: 'IN_PROGRESS', progress: { percent: 50, message: 'half' } })];
    await until(() => sockets.length === 2, 'a reconnect');
    last().open();
    last().message({ type: 'subscribed', id: 'e1' });
    await until(() => states[states.length - 1]?.run.id === 8, 'the run started while disconnected');
    expect(states[states.length - 1]).toMatchObject({ status: 'IN_PROGRESS', percent: 50, message: 'half', tasks: null });
    tracker.stop();
    socket.close();
  });
});
