/**
 * One contract suite, run against every transport: the in-process client
 * and the HTTP client. Every answer is also checked against the contract's
 * output schema.
 */
import { describe, expect, it } from 'vitest';
import type { JobdeckClient } from '../../shared/client/client';
import { contract, isDownloadMethod, type Download, type Input, type MethodName, type Output } from '../../shared/contract';
import type { EngineEvent } from '../../shared/events';
import { JobdeckError } from '../../shared/errors';

export interface Harness {
  client: JobdeckClient;
  /**
   * Fetches a download (runs.download, runs.logExport) the way this transport
   * delivers it: from the call's Download (in-process, HTTP), or through the
   * save dialog (desktop IPC, where a stream cannot cross the bridge).
   */
  download?(method: 'runs.download' | 'runs.logExport', input: { id: number; name?: string }): Promise<Buffer>;
  close(): Promise<void>;
}

/** A download read through the call itself. */
async function viaCall(client: JobdeckClient, method: 'runs.download' | 'runs.logExport', input: { id: number; name?: string }): Promise<Buffer> {
  const download = await client.call(method, input as never);
  const parts: Buffer[] = [];
  for await (const chunk of (download as Download).chunks()) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

/** A client whose every answer is checked against the method's output schema. */
function checked(client: JobdeckClient): JobdeckClient {
  return {
    ...client,
    target: client.target,
    subscribe: client.subscribe.bind(client),
    async call<M extends MethodName>(method: M, input: Input<M>): Promise<Output<M>> {
      const out = await client.call(method, input);
      if (isDownloadMethod(method)) return out;
      const parsed = contract[method].output.safeParse(out);
      if (!parsed.success) throw new Error(`${method} answered outside its schema: ${parsed.error.message}`);
      return out;
    },
  };
}

async function failure(p: Promise<unknown>): Promise<JobdeckError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(JobdeckError);
    return err as JobdeckError;
  }
  throw new Error('expected the call to fail');
}

const until = async <T,>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
};

export function contractSuite(name: string, open: () => Promise<Harness>): void {
  describe(`contract over ${name}`, () => {
    const withClient = (fn: (c: JobdeckClient, h: Harness) => Promise<void>) => async () => {
      const h = await open();
      try {
        await fn(checked(h.client), h);
      } finally {
        await h.close();
      }
    };

    it(
      'creates, reads, updates, archives, duplicates and lists jobs',
      withClient(async (c) => {
        const job = await c.call('jobs.create', { name: 'contract job', script: 'echo hi', group: 'g1', schedule: { kind: 'manual' } });
        expect(job).toMatchObject({ name: 'contract job', group: 'g1', revision: 1 });
        expect(await c.call('jobs.get', { id: job.id })).toEqual(job);
        const updated = await c.call('jobs.update', { id: job.id, ifRevision: 1, changes: { description: 'now described' } });
        expect(updated).toMatchObject({ description: 'now described', revision: 2 });
        const copy = await c.call('jobs.duplicate', { id: job.id });
        expect(copy).toMatchObject({ name: 'contract job (copy)', enabled: false, scriptMd5: job.scriptMd5 });
        expect(await c.call('jobs.groups', {})).toEqual(['g1']);
        expect((await c.call('jobs.archive', { id: copy.id })).archived).toBe(true);
        expect((await c.call('jobs.unarchive', { id: copy.id })).archived).toBe(false);
        const list = await c.call('jobs.list', { group: 'g1' });
        expect(list.items.map((j) => j.name).sort()).toEqual(['contract job', 'contract job (copy)']);
        expect('script' in list.items[0]!).toBe(false);
        expect((await c.call('jobs.history', { id: job.id })).map((v) => v.version)).toEqual([1]);
        const one = await c.call('jobs.export', { jobId: copy.id });
        expect(one.jobs.map((j) => j.name)).toEqual(['contract job (copy)']);
        expect((await c.call('jobs.export', {})).jobs).toHaveLength(2);
        expect((await failure(c.call('jobs.export', { jobId: 424242 }))).code).toBe('NOT_FOUND');
      }),
    );

    it(
      'deletes a job with its runs, logs and files; refuses while it runs or another job needs it; never reuses its ids',
      withClient(async (c) => {
        const job = await c.call('jobs.create', { name: 'to delete', script: 'echo "::progress 50"; echo one; echo two; if [ -z "$1" ]; then echo x > "$JOBDECK_OUTPUT_DIR/a.txt"; fi; sleep "${1:-0}"', schedule: { kind: 'manual' } });
        const done = await c.call('runs.trigger', { jobId: job.id });
        await c.call('runs.wait', { id: done.id, timeoutSeconds: 30 });
        const slow = await c.call('runs.trigger', { jobId: job.id, args: '30' });
        await until(() => c.call('runs.get', { id: slow.id }), (r) => r.status === 'IN_PROGRESS');
        const busy = await failure(c.call('jobs.delete', { id: job.id }));
        expect([busy.code, busy.field]).toEqual(['INVALID_STATE', 'id']);
        expect(busy.message).toContain(`run #${slow.id} in progress`);
        await c.call('runs.cancel', { id: slow.id });
        await c.call('runs.wait', { id: slow.id, timeoutSeconds: 30 });

        const waiter = await c.call('jobs.create', { name: 'waits', script: 'true', schedule: { kind: 'manual' }, after: [{ job: 'TO DELETE' }] });
        const needed = await failure(c.call('jobs.delete', { id: job.id }));
        expect(needed.code).toBe('CONFLICT');
        expect(needed.message).toContain('"waits" (waits for it)');
        await c.call('jobs.update', { id: waiter.id, changes: { after: [] } });

        const gone = await c.call('jobs.delete', { id: job.id });
        expect(gone).toEqual({ id: job.id, name: 'to delete', runs: 2, logLines: expect.any(Number), files: 1 });
        expect(gone.logLines).toBeGreaterThanOrEqual(3);
        expect((await failure(c.call('jobs.get', { id: job.id }))).code).toBe('NOT_FOUND');
        expect((await failure(c.call('runs.get', { id: done.id }))).code).toBe('NOT_FOUND');
        expect((await c.call('runs.list', { jobId: job.id })).total).toBe(0);
        expect((await c.call('jobs.list', {})).items.map((j) => j.name)).toEqual(['waits']);
        // The newest job and run were deleted: their ids are not given out again.
        await c.call('jobs.delete', { id: waiter.id });
        const next = await c.call('jobs.create', { name: 'after them', script: 'true', schedule: { kind: 'manual' } });
        expect(next.id).toBeGreaterThan(waiter.id);
        const run = await c.call('runs.trigger', { jobId: next.id });
        expect(run.id).toBeGreaterThan(slow.id);
        const audit = await c.call('audit.list', { jobId: job.id });
        expect(audit.items.map((e) => e.action)).toContain('job.delete');
        expect((await failure(c.call('jobs.delete', { id: job.id }))).code).toBe('NOT_FOUND');
      }),
    );

    it(
      'reports bad input with its code and field',
      withClient(async (c) => {
        const e1 = await failure(c.call('jobs.create', { name: 'x', script: 'x', schedule: { kind: 'interval', seconds: 301 } }));
        expect([e1.code, e1.field]).toEqual(['VALIDATION_FAILED', 'schedule.seconds']);
        const e2 = await failure(c.call('jobs.create', { name: 'x', script: 'x', surprise: true } as never));
        expect([e2.code, e2.field]).toEqual(['VALIDATION_FAILED', 'surprise']);
        const e3 = await failure(c.call('jobs.get', { id: 424242 }));
        expect(e3.code).toBe('NOT_FOUND');
        await c.call('jobs.create', { name: 'Taken', script: 'x' });
        expect((await failure(c.call('jobs.create', { name: 'TAKEN', script: 'x' }))).code).toBe('NAME_TAKEN');
        const e4 = await failure(c.call('runs.list', { from: 'last tuesday' }));
        expect([e4.code, e4.field]).toEqual(['VALIDATION_FAILED', 'from']);
        const e5 = await failure(c.call('jobs.create', { name: 'y'.repeat(101), script: 'x' }));
        expect(e5.field).toBe('name');
      }),
    );

    it(
      'triggers a run, streams its logs live, lists it and serves its files',
      withClient(async (c) => {
        const job = await c.call('jobs.create', {
          name: 'streamer',
          script: 'for i in 1 2 3; do echo "line $i $1"; done; echo "::progress 100 done"; printf "a,b\\n" > "$JOBDECK_OUTPUT_DIR/out.csv"',
          schedule: { kind: 'manual' },
        });
        const events: EngineEvent[] = [];
        const run = await c.call('runs.trigger', { jobId: job.id, args: 'x', trigger: 'manual' });
        const unsubscribe = c.subscribe({ runId: run.id, afterSeq: 0 }, { onEvent: (e) => events.push(e) });
        const done = await until(
          () => c.call('runs.get', { id: run.id }),
          (r) => r.status === 'SUCCEEDED',
        );
        await until(
          async () => events.filter((e) => e.type === 'log').flatMap((e) => (e.type === 'log' ? e.lines : [])),
          (lines) => lines.length >= done.lastSeq,
        );
        unsubscribe();
        const streamed = events.flatMap((e) => (e.type === 'log' ? e.lines : []));
        expect(streamed.map((l) => l.seq)).toEqual(Array.from({ length: done.lastSeq }, (_, i) => i + 1));
        expect(streamed.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual(['line 1 x', 'line 2 x', 'line 3 x', '::progress 100 done']);
        expect(done).toMatchObject({ trigger: 'manual', triggeredBy: expect.any(String), progress: { percent: 100, message: 'done' }, resultFile: 'out.csv' });
        const page = await c.call('runs.logs', { id: run.id, afterSeq: 2, limit: 2 });
        expect(page.lines.map((l) => l.seq)).toEqual([3, 4]);
        expect(page.done).toBe(false);
        expect(await c.call('runs.search', { id: run.id, text: 'LINE 2' })).toEqual({ seqs: [3], truncated: false });
        expect(await c.call('runs.search', { id: run.id, text: '100%_' })).toEqual({ seqs: [], truncated: false });
        const rest = await c.call('runs.logs', { id: run.id, afterSeq: 4 });
        expect(rest.done).toBe(true);
        expect(await c.call('runs.files', { id: run.id })).toEqual([
          { name: 'out.csv', size: 4, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), primary: true },
        ]);
        expect(await c.call('runs.readFile', { id: run.id, name: 'out.csv' })).toEqual({ text: 'a,b\n', size: 4, truncated: false });
        expect(await c.call('runs.readFile', { id: run.id, name: 'out.csv', maxBytes: 2 })).toEqual({ text: 'a,', size: 4, truncated: true });
        expect((await failure(c.call('runs.readFile', { id: run.id, name: '../../jobdeck.db' }))).field).toBe('name');
        expect((await c.call('runs.list', { jobId: job.id, status: ['SUCCEEDED'] })).items.map((r) => r.id)).toEqual([run.id]);
        const audit = await c.call('audit.list', { jobId: job.id });
        expect(audit.items.map((a) => a.action)).toContain('run.trigger');
      }),
    );

    it(
      'finds jobs by name, waits for runs, and downloads their files and logs',
      withClient(async (c, h) => {
        const job = await c.call('jobs.create', {
          name: 'Nightly Report',
          script: 'echo "line one"; printf "x,y\\n1,2\\n" > "$JOBDECK_OUTPUT_DIR/data.csv"',
          schedule: { kind: 'manual' },
        });
        expect((await c.call('jobs.find', { name: 'nightly report' })).id).toBe(job.id);
        expect((await failure(c.call('jobs.find', { name: 'no such job' }))).code).toBe('NOT_FOUND');
        const run = await c.call('runs.trigger', { jobId: job.id });
        const done = await c.call('runs.wait', { id: run.id, timeoutSeconds: 30 });
        expect(done.status).toBe('SUCCEEDED');
        expect((await c.call('runs.wait', { id: run.id, timeoutSeconds: 0 })).status).toBe('SUCCEEDED');
        const download = (method: 'runs.download' | 'runs.logExport', input: { id: number; name?: string }) =>
          h.download ? h.download(method, input) : viaCall(h.client, method, input);
        expect((await download('runs.download', { id: run.id, name: 'data.csv' })).toString()).toBe('x,y\n1,2\n');
        const log = (await download('runs.logExport', { id: run.id })).toString();
        expect(log).toMatch(/^\S+Z JOBDECK Starting attempt 1 of Nightly Report/);
        expect(log).toContain(' OUT line one\n');
        expect((await failure(c.call('runs.wait', { id: 424242 }))).code).toBe('NOT_FOUND');
      }),
    );

    it(
      'refuses a second trigger while running and cancels',
      withClient(async (c) => {
        const job = await c.call('jobs.create', { name: 'sleepy', script: 'echo started; sleep 30', schedule: { kind: 'manual' } });
        const run = await c.call('runs.trigger', { jobId: job.id });
        const err = await failure(c.call('runs.trigger', { jobId: job.id }));
        expect(err.code).toBe('JOB_ALREADY_RUNNING');
        await until(
          () => c.call('runs.logs', { id: run.id }),
          (p) => p.lines.some((l) => l.text === 'started'),
        );
        await c.call('runs.cancel', { id: run.id });
        const done = await until(
          () => c.call('runs.get', { id: run.id }),
          (r) => r.status === 'CANCELLED',
        );
        expect(done.error).toMatch(/^cancelled by /);
      }),
    );

    it(
      'controls the scheduler and lists locks',
      withClient(async (c) => {
        expect(await c.call('scheduler.status', {})).toMatchObject({ active: true, paused: false });
        expect((await c.call('scheduler.pause', {})).paused).toBe(true);
        expect((await c.call('scheduler.resume', {})).paused).toBe(false);
        expect((await c.call('scheduler.restart', {})).active).toBe(true);
        expect(await c.call('locks.list', {})).toEqual([]);
        expect((await failure(c.call('locks.break', { name: 'nothing' }))).code).toBe('NOT_FOUND');
      }),
    );

    it(
      'lists the nodes serving the store (this one answering) and drains and undrains one',
      withClient(async (c) => {
        const [self, ...others] = await c.call('nodes.list', {});
        expect(others).toEqual([]);
        expect(self).toMatchObject({ state: 'alive', self: true, draining: false, runsInProgress: 0 });
        expect(await c.call('nodes.drain', { id: self!.id })).toMatchObject({ id: self!.id, draining: true });
        expect(await c.call('nodes.undrain', { id: self!.id })).toMatchObject({ id: self!.id, draining: false });
        const unknown = await failure(c.call('nodes.drain', { id: 'nobody' }));
        expect([unknown.code, unknown.field]).toEqual(['NOT_FOUND', 'node']);
        expect((await failure(c.call('nodes.drain', { id: '' }))).code).toBe('VALIDATION_FAILED');
      }),
    );

    it(
      'reads the dashboard from real runs: failing jobs with their last stderr line, runs in progress, locks, next fires, hours',
      withClient(async (c) => {
        const ok = await c.call('jobs.create', { name: 'fine', script: 'echo fine', schedule: { kind: 'manual' } });
        const bad = await c.call('jobs.create', { name: 'broken', script: 'echo working; echo "disk full" >&2; exit 3', schedule: { kind: 'manual' } });
        const slow = await c.call('jobs.create', {
          name: 'long one',
          script: 'echo "::progress 40 copying"; sleep 30',
          schedule: { kind: 'manual' },
          lock: 'nightly',
        });
        await c.call('jobs.create', { name: 'soon', script: 'true', schedule: { kind: 'interval', seconds: 300 } });
        await c.call('jobs.create', { name: 'off', script: 'true', schedule: { kind: 'interval', seconds: 60 }, enabled: false });
        for (const job of [ok, bad]) await c.call('runs.wait', { id: (await c.call('runs.trigger', { jobId: job.id })).id, timeoutSeconds: 30 });
        const running = await c.call('runs.trigger', { jobId: slow.id });
        const d = await until(
          () => c.call('stats.dashboard', {}),
          (v) => v.running.some((r) => r.runId === running.id && r.percent === 40),
        );
        expect(d.jobs).toMatchObject({ total: 5, disabled: 1 });
        expect(d.jobs.byLastStatus).toMatchObject({ SUCCEEDED: 1, FAILED: 1, IN_PROGRESS: 1 });
        expect(d.failingTotal).toBe(1);
        expect(d.failing[0]).toMatchObject({ jobId: bad.id, jobName: 'broken', lastLine: 'disk full' });
        expect(d.failing[0]!.error).toContain('3');
        expect(d.running.find((r) => r.runId === running.id)).toMatchObject({ jobName: 'long one', message: 'copying', usualMs: null });
        expect(d.locks).toEqual([expect.objectContaining({ name: 'nightly', jobId: slow.id, runId: running.id })]);
        expect(d.next.map((n) => n.jobName)).toEqual(['soon']);
        expect(d.hours).toHaveLength(168);
        expect(d.hours.at(-1)!.runs + d.hours.at(-2)!.runs).toBeGreaterThanOrEqual(3);
        expect(d.hours.reduce((n, h) => n + h.failed, 0)).toBe(1);
        expect(d.slowest.map((s) => s.jobName).sort()).toEqual(['broken', 'fine']);
        await c.call('runs.cancel', { id: running.id });
        await c.call('runs.wait', { id: running.id, timeoutSeconds: 30 });
      }),
    );

    it(
      'exports and imports',
      withClient(async (c) => {
        await c.call('jobs.create', { name: 'exported', script: 'true', schedule: { kind: 'cron', expression: '0 3 * * *', timezone: 'UTC' } });
        const doc = await c.call('jobs.export', {});
        expect(doc.jobs.map((j) => j.name)).toEqual(['exported']);
        expect(await c.call('jobs.import', { document: doc, dryRun: true })).toEqual({
          dryRun: true,
          created: [],
          updated: [],
          unchanged: ['exported'],
        });
        const bad = await failure(c.call('jobs.import', { document: { format: 'other' } }));
        expect([bad.code, bad.field]).toEqual(['VALIDATION_FAILED', 'document.format']);
      }),
    );

    it(
      'runs a workflow: task runs, one task by path, per-task logs, live task events, re-run in place',
      withClient(async (c) => {
        const job = await c.call('jobs.create', {
          name: 'wf',
          schedule: { kind: 'manual' },
          workflow: { tasks: [{ name: 'a', script: `echo '::return {"n": 1}'` }, { name: 'b', script: 'exit 5', subtasks: [{ name: 'c', script: 'true' }] }] },
        });
        const events: EngineEvent[] = [];
        const run = await c.call('runs.trigger', { jobId: job.id });
        const off = c.subscribe({ runId: run.id, afterSeq: 0 }, { onEvent: (e) => events.push(e) });
        const done = await c.call('runs.wait', { id: run.id, timeoutSeconds: 60 });
        expect(done).toMatchObject({ status: 'FAILED', failure: 'TASK_FAILED', tasks: 3 });
        const tasks = await c.call('runs.tasks', { id: run.id });
        expect(tasks.map((t) => [t.path, t.status])).toEqual([['#.a', 'SUCCEEDED'], ['#.b', 'FAILED'], ['#.b.c', 'SKIPPED']]);
        expect(tasks[0]!.result).toEqual({ n: 1 });
        const logs = await c.call('runs.logs', { id: run.id, task: '#.b' });
        expect(logs.lines.length).toBeGreaterThan(0);
        expect(logs.lines.every((l) => l.task === '#.b')).toBe(true);
        await until(async () => events, (e) => e.some((x) => x.type === 'tasks' && x.tasks.some((t) => t.path === '#.b' && t.status === 'FAILED')));
        off();
        expect((await failure(c.call('runs.rerun', { id: run.id, task: '#.zz' }))).code).toBe('NOT_FOUND');
        const again = await c.call('runs.rerun', { id: run.id, task: '#.a' });
        expect(again).toMatchObject({ id: run.id, status: 'QUEUED', round: 1 });
        expect((await c.call('runs.wait', { id: run.id, timeoutSeconds: 60 })).status).toBe('FAILED');
        const one = await c.call('runs.trigger', { jobId: job.id, task: '#.a' });
        expect((await c.call('runs.wait', { id: one.id, timeoutSeconds: 60 })).status).toBe('SUCCEEDED');
      }),
    );

    it(
      'manages users and tokens',
      withClient(async (c) => {
        const { user, token } = await c.call('users.add', { name: 'viewer1', role: 'viewer' });
        expect(user).toMatchObject({ name: 'viewer1', role: 'viewer' });
        expect(token).toMatch(/^jd_/);
        expect((await failure(c.call('users.add', { name: 'VIEWER1', role: 'admin' }))).code).toBe('NAME_TAKEN');
        const second = await c.call('tokens.create', { name: 'viewer1' });
        await c.call('tokens.revoke', { tokenId: second.id });
        expect((await failure(c.call('tokens.revoke', { tokenId: second.id }))).code).toBe('INVALID_STATE');
        const users = await c.call('users.list', {});
        expect(users.find((u) => u.name === 'viewer1')!.tokens.map((t) => t.revokedAt !== null)).toEqual([false, true]);
        await c.call('users.remove', { name: 'viewer1' });
        expect((await failure(c.call('users.remove', { name: 'viewer1' }))).code).toBe('NOT_FOUND');
        expect((await c.call('auth.whoami', {})).role).toBe('superadmin');
      }),
    );
  });
}
