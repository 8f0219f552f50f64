/**
 * The contract's handlers over one engine. Thin: validation and role checks
 * happen in shared/dispatch.ts before these run; logic lives in the engine,
 * jobOps and triggers.
 */
import type { Handlers } from '../../shared/contract';
import { fromBound, parseDate, toBound } from '../../shared/dates';
import { JobdeckError, notFound } from '../../shared/errors';
import { isFinished } from '../../shared/model/run';
import type { Engine } from './engine';
import { createJob, duplicateJob, exportJobs, importJobs, setArchived, updateJob } from './jobOps';
import { InstanceLock } from './ownership';
import { readResultFileStart } from './resultFile';
import { toJob } from './store/rows';

const ok = { ok: true as const };

export function createHandlers(engine: Engine): Handlers {
  const { store } = engine;

  const runRow = (id: number) => {
    const row = store.runs.get(id);
    if (!row) throw notFound('run', id);
    return row;
  };

  return {
    'jobs.list': async (input) => engine.summaries.list(input),
    'jobs.groups': async () => store.jobs.groups(),
    'jobs.get': async ({ id }) => {
      const row = store.jobs.get(id);
      if (!row) throw notFound('job', id);
      return toJob(row);
    },
    'jobs.create': async (input, ctx) => createJob(engine, input, ctx),
    'jobs.update': async (input, ctx) => updateJob(engine, input, ctx),
    'jobs.archive': async ({ id }, ctx) => setArchived(engine, id, true, ctx),
    'jobs.unarchive': async ({ id }, ctx) => setArchived(engine, id, false, ctx),
    'jobs.duplicate': async ({ id, name }, ctx) => duplicateJob(engine, id, name, ctx),
    'jobs.history': async ({ id }) => {
      if (!store.jobs.get(id)) throw notFound('job', id);
      return store.jobs.history(id).map((v) => ({
        version: v.version,
        md5: v.md5,
        script: v.script,
        savedBy: v.saved_by,
        savedAt: new Date(v.saved_at).toISOString(),
      }));
    },
    'jobs.export': async () => exportJobs(engine),
    'jobs.import': async ({ document, dryRun }, ctx) => importJobs(engine, document, dryRun ?? false, ctx),

    'runs.trigger': async ({ jobId, args, params, trigger }, ctx) =>
      engine.trigger({ jobId, args, params, trigger: trigger ?? 'api', by: ctx.actor }),
    'runs.list': async (input) => {
      const from = input.from ? parseDate(input.from) : null;
      const to = input.to ? parseDate(input.to) : null;
      if (from && to && fromBound(from) >= toBound(to)) {
        throw new JobdeckError('VALIDATION_FAILED', 'from: must be before to', 'from');
      }
      const { rows, total } = store.runs.list({
        jobId: input.jobId,
        statuses: input.status,
        fromMs: from ? fromBound(from) : undefined,
        toMs: to ? toBound(to) : undefined,
        limit: input.limit ?? 50,
        offset: input.offset ?? 0,
      });
      return { items: rows.map((r) => engine.runState(r)), total };
    },
    'runs.get': async ({ id }) => engine.runState(runRow(id)),
    'runs.cancel': async ({ id }, ctx) => engine.cancel(id, ctx.actor),
    'runs.logs': async ({ id, afterSeq, limit }) => {
      const row = runRow(id);
      const after = afterSeq ?? 0;
      const max = limit ?? 1000;
      const lines = engine.logPage(id, after, max);
      const lastSeq = lines.length ? lines[lines.length - 1]!.seq : after;
      const finished = isFinished(row.status);
      return { lines, lastSeq, done: finished && lines.length < max && lastSeq >= row.last_seq };
    },
    'runs.search': async ({ id, text, limit }) => {
      runRow(id);
      engine.writer.flush();
      const max = limit ?? 1000;
      const seqs = store.logs.search(id, text, max + 1);
      return { seqs: seqs.slice(0, max), truncated: seqs.length > max };
    },
    'runs.files': async ({ id }) => {
      runRow(id);
      return store.runs.files(id).map((f) => ({ name: f.name, size: f.size, sha256: f.sha256, primary: f.is_primary === 1 }));
    },

    'runs.readFile': async ({ id, name, maxBytes }) => readResultFileStart(store, engine.dataDir, id, name, maxBytes ?? 262_144),
    'scheduler.status': async () => engine.schedulerStatus(),
    'scheduler.pause': async (_input, ctx) => {
      const scheduler = requireScheduler(engine);
      scheduler.pause();
      store.settings.set('scheduler.paused', true);
      store.audit.add({ actor: ctx.actor, action: 'scheduler.pause', targetType: 'scheduler' });
      engine.statusChanged();
      return engine.schedulerStatus();
    },
    'scheduler.resume': async (_input, ctx) => {
      const scheduler = requireScheduler(engine);
      scheduler.resume();
      store.settings.set('scheduler.paused', false);
      store.audit.add({ actor: ctx.actor, action: 'scheduler.resume', targetType: 'scheduler' });
      engine.statusChanged();
      return engine.schedulerStatus();
    },
    'scheduler.restart': async (_input, ctx) => {
      const scheduler = requireScheduler(engine);
      scheduler.restart();
      engine.dispatcher.pump();
      store.audit.add({ actor: ctx.actor, action: 'scheduler.restart', targetType: 'scheduler' });
      engine.statusChanged();
      return engine.schedulerStatus();
    },

    'locks.list': async () =>
      store.locks.list().map((l) => ({
        name: l.name,
        runId: l.run_id,
        jobId: l.job_id,
        jobName: l.job_name,
        acquiredAt: new Date(l.acquired_at).toISOString(),
        holderAlive:
          (l.run_status === 'IN_PROGRESS' || l.run_status === 'QUEUED') &&
          (l.owner === engine.instanceId || InstanceLock.isAlive(engine.dataDir, l.owner, engine.options.nativeBinding)),
      })),
    'locks.break': async ({ name }, ctx) => {
      const lock = store.locks.get(name);
      if (!lock) throw notFound('lock', name, 'name');
      store.tx(() => {
        store.locks.break(name);
        store.audit.add({
          actor: ctx.actor,
          action: 'lock.break',
          targetType: 'lock',
          targetId: name,
          targetName: name,
          jobId: lock.job_id,
          details: { runId: lock.run_id, jobName: lock.job_name, runStatus: lock.run_status },
        });
      });
      engine.dispatcher.pump();
      return ok;
    },

    'audit.list': async (input) =>
      store.audit.list({ actor: input.actor, jobId: input.jobId, limit: input.limit ?? 100, offset: input.offset ?? 0 }),

    'users.list': async () => store.users.list(),
    'users.add': async ({ name, role }, ctx) => {
      const now = engine.clock.now();
      return store.tx(() => {
        if (store.users.get(name)) throw new JobdeckError('NAME_TAKEN', `a user named "${name}" already exists`, 'name');
        store.users.add(name, role, now);
        const { token } = store.users.createToken(name, now);
        store.audit.add({ actor: ctx.actor, action: 'user.add', targetType: 'user', targetId: name, targetName: name, details: { role } });
        return { user: store.users.get(name)!, token };
      });
    },
    'users.remove': async ({ name }, ctx) => {
      if (name.toLowerCase() === ctx.actor.toLowerCase()) {
        throw new JobdeckError('INVALID_STATE', 'you cannot remove yourself; ask another superadmin', 'name');
      }
      store.tx(() => {
        if (!store.users.remove(name)) throw notFound('user', name, 'name');
        store.audit.add({ actor: ctx.actor, action: 'user.remove', targetType: 'user', targetId: name, targetName: name });
      });
      return ok;
    },
    'tokens.create': async ({ name }, ctx) =>
      store.tx(() => {
        if (!store.users.get(name)) throw notFound('user', name, 'name');
        const created = store.users.createToken(name, engine.clock.now());
        store.audit.add({ actor: ctx.actor, action: 'token.create', targetType: 'token', targetId: created.id, targetName: name });
        return created;
      }),
    'tokens.revoke': async ({ tokenId }, ctx) => {
      store.tx(() => {
        const result = store.users.revokeToken(tokenId, engine.clock.now());
        if (result === 'missing') throw notFound('token', tokenId, 'tokenId');
        if (result === 'already') throw new JobdeckError('INVALID_STATE', `token ${tokenId} is already revoked`, 'tokenId');
        store.audit.add({
          actor: ctx.actor,
          action: 'token.revoke',
          targetType: 'token',
          targetId: tokenId,
          targetName: store.users.tokenOwner(tokenId) ?? null,
        });
      });
      return ok;
    },
    'auth.whoami': async (_input, ctx) => ({ name: ctx.actor, role: ctx.role }),
  };
}

function requireScheduler(engine: Engine) {
  if (!engine.scheduler) {
    const owner = engine.schedulerStatus().owner;
    throw new JobdeckError(
      'INVALID_STATE',
      `this engine does not run the scheduler${owner ? `; it is run by ${owner}` : ''}`,
    );
  }
  return engine.scheduler;
}
