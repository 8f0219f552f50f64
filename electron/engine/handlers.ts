/**
 * The contract's handlers: each maps one call to a service. Thin on purpose:
 * validation and role checks happen in shared/dispatch.ts before these run,
 * and the logic lives in the services.
 */
import type { Handlers } from '../../shared/contract';
import type { JobsService } from './services/jobsService';
import type { RunsService } from './services/runsService';
import type { NotifyService } from './services/notifyService';
import type { SchedulerService } from './services/schedulerService';
import type { TaskRunsService } from './services/taskRunsService';
import type { NodesService } from './services/nodesService';
import type { UsersService } from './services/usersService';
import type { EngineStore as Store } from './store/engineStore';

export interface Services {
  jobs: JobsService;
  runs: RunsService;
  tasks: TaskRunsService;
  notify: NotifyService;
  scheduler: SchedulerService;
  users: UsersService;
  nodes: NodesService;
  /** Read-only access for the audit log and the dashboard. */
  store: Pick<Store, 'audit' | 'dashboard'>;
  /** The engine's clock (ms): the dashboard's "now". */
  now: () => number;
}

const ok = { ok: true as const };

/**
 * Every handler, with store failures a caller can act on (a damaged
 * database, a folder it cannot write) turned into errors that say so.
 */
export function createHandlers(s: Services, explain: (err: unknown) => unknown): Handlers {
  const handlers = buildHandlers(s);
  for (const name of Object.keys(handlers) as (keyof Handlers)[]) {
    const fn = handlers[name] as (input: unknown, ctx: unknown) => Promise<unknown>;
    (handlers as Record<string, unknown>)[name] = async (input: unknown, ctx: unknown) => {
      try {
        return await fn(input, ctx);
      } catch (err) {
        throw explain(err);
      }
    };
  }
  return handlers;
}

function buildHandlers(s: Services): Handlers {
  return {
    'jobs.list': async (input) => s.jobs.list(input),
    'jobs.groups': async () => s.jobs.groups(),
    'jobs.get': async ({ id }) => s.jobs.get(id),
    'jobs.find': async ({ name }) => s.jobs.find(name),
    'jobs.create': async (input, ctx) => s.jobs.create(input, ctx),
    'jobs.update': async (input, ctx) => s.jobs.update(input, ctx),
    'jobs.archive': async ({ id }, ctx) => s.jobs.setArchived(id, true, ctx),
    'jobs.unarchive': async ({ id }, ctx) => s.jobs.setArchived(id, false, ctx),
    'jobs.delete': async ({ id }, ctx) => s.jobs.delete(id, ctx),
    'jobs.duplicate': async ({ id, name }, ctx) => s.jobs.duplicate(id, name, ctx),
    'jobs.history': async ({ id }) => s.jobs.history(id),
    'jobs.export': async ({ jobId }) => s.jobs.export(jobId),
    'jobs.import': async ({ document, dryRun }, ctx) => s.jobs.import(document, dryRun ?? false, ctx),

    'runs.trigger': async (input, ctx) => {
      if (input.task !== undefined) await s.tasks.checkTaskTrigger(input.jobId, input.task);
      return s.runs.trigger(input, ctx);
    },
    'runs.tasks': async ({ id }) => s.tasks.tasks(id),
    'runs.rerun': async (input, ctx) => s.tasks.rerun(input, ctx),
    'runs.list': async (input) => s.runs.list(input),
    'runs.get': async ({ id }) => s.runs.get(id),
    'runs.cancel': async ({ id }, ctx) => s.runs.cancel(id, ctx),
    'runs.wait': async ({ id, timeoutSeconds }) => s.runs.wait(id, timeoutSeconds ?? 30),
    'runs.logs': async (input) => s.runs.logs(input),
    'runs.search': async (input) => s.runs.search(input),
    'runs.files': async ({ id }) => s.runs.files(id),
    'runs.readFile': async (input) => s.runs.readFile(input),
    'runs.download': async (input) => s.runs.download(input),
    'runs.logExport': async ({ id }) => s.runs.logExport(id),

    'scheduler.status': async () => s.scheduler.status(),
    'scheduler.pause': async (_input, ctx) => s.scheduler.pause(ctx),
    'scheduler.resume': async (_input, ctx) => s.scheduler.resume(ctx),
    'scheduler.restart': async (input, ctx) => s.scheduler.restart(ctx, input.process === true),
    'nodes.list': async () => s.nodes.list(),
    'nodes.drain': async ({ id }, ctx) => s.nodes.setDraining(id, true, ctx),
    'nodes.undrain': async ({ id }, ctx) => s.nodes.setDraining(id, false, ctx),
    'locks.list': async () => s.scheduler.locks(),
    'locks.break': async ({ name, force }, ctx) => {
      await s.scheduler.breakLock(name, force ?? false, ctx);
      return ok;
    },

    'stats.dashboard': async () => s.store.dashboard.dashboard(s.now()),
    'audit.list': async (input) =>
      s.store.audit.list({ actor: input.actor, jobId: input.jobId, limit: input.limit ?? 100, offset: input.offset ?? 0 }),

    'notify.settings': async () => s.notify.settings(),
    'notify.configure': async (input, ctx) => s.notify.configure(input, ctx),
    'notify.test': async (input) => s.notify.test(input),
    'notify.deliveries': async (input) => s.notify.deliveries(input),
    'notify.jobList': async ({ to }) => {
      // Every job, in the list's own order: next execution first, disabled and archived last.
      const jobs = (await s.jobs.list({ order: 'schedule', archived: 'include', limit: 100_000 })).items;
      return s.notify.jobList(to, jobs, await s.jobs.export());
    },
    'recipients.list': async () => s.notify.groups(),
    'recipients.set': async (input, ctx) => s.notify.setGroup(input, ctx),
    'recipients.remove': async ({ name }, ctx) => {
      await s.notify.removeGroup(name, ctx);
      return ok;
    },
    'webhooks.list': async () => s.notify.webhooks(),
    'webhooks.add': async (input, ctx) => s.notify.addWebhook(input, ctx),
    'webhooks.remove': async ({ name }, ctx) => {
      await s.notify.removeWebhook(name, ctx);
      return ok;
    },

    'users.list': async () => s.users.list(),
    'users.add': async ({ name, role, expiresInSeconds }, ctx) => s.users.add(name, role, ctx, expiresInSeconds),
    'users.remove': async ({ name }, ctx) => {
      await s.users.remove(name, ctx);
      return ok;
    },
    'tokens.create': async ({ name, expiresInSeconds }, ctx) => s.users.createToken(name, ctx, expiresInSeconds),
    'tokens.revoke': async ({ tokenId }, ctx) => {
      await s.users.revokeToken(tokenId, ctx);
      return ok;
    },
    'auth.whoami': async (_input, ctx) => ({
      name: ctx.actor,
      role: ctx.role,
      expiresAt: ctx.expiresAt === null || ctx.expiresAt === undefined ? null : new Date(ctx.expiresAt).toISOString(),
    }),
  };
}
