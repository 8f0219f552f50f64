/** The contract's calls on the scheduler, locks, the audit log, users and tokens. */
import * as z from 'zod';
import { dashboardSchema } from '../model/dashboard';
import { lockNameSchema } from '../model/job';
import { auditEntrySchema, lockInfoSchema, nodeInfoSchema, ROLES, schedulerStatusSchema, userNameSchema, userSchema } from '../model/misc';
import { isoTime } from '../model/time';
import { empty, id, limit, listResult, m, offset, ok, tokenLifetime } from './common';

export const adminMethods = {
  'stats.dashboard': m({
    summary: 'The overview: jobs by last status, failing jobs, runs in progress, the next 24 h of fires, 7 days of runs per hour, the slowest jobs, locks held',
    role: 'viewer',
    http: { method: 'GET', path: '/api/dashboard' },
    input: () => empty,
    output: () => dashboardSchema,
  }),
  'scheduler.status': m({
    summary: 'Running and queued counts, paused or not, next fires',
    role: 'viewer',
    http: { method: 'GET', path: '/api/scheduler' },
    input: () => empty,
    output: () => schedulerStatusSchema,
  }),
  'scheduler.pause': m({
    summary: 'Stop firing schedules (running runs go on; on-demand runs still start)',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/scheduler/pause' },
    input: () => empty,
    output: () => schedulerStatusSchema,
  }),
  'scheduler.resume': m({
    summary: 'Fire schedules again',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/scheduler/resume' },
    input: () => empty,
    output: () => schedulerStatusSchema,
  }),
  'scheduler.restart': m({
    summary:
      'Reload every job from the store and rebuild the schedule, keeping runs in flight; with process: true (under a service manager, status.supervised) the whole process drains and exits, and the service manager starts it again',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/scheduler/restart' },
    input: () => z.strictObject({ process: z.boolean().optional() }),
    output: () => schedulerStatusSchema,
  }),
  'nodes.list': m({
    summary: 'The processes serving this store (a serve, the desktop app): address, version, start, last heartbeat, runs in progress, draining, state',
    role: 'viewer',
    http: { method: 'GET', path: '/api/nodes' },
    input: () => empty,
    output: () => z.array(nodeInfoSchema),
  }),
  'nodes.drain': m({
    summary: 'Stop a node from starting queued runs (runs in progress go on), so it can be stopped or upgraded without interrupting anything',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/nodes/:id/drain' },
    input: () => z.strictObject({ id: z.string().min(1).max(100) }),
    output: () => nodeInfoSchema,
  }),
  'nodes.undrain': m({
    summary: 'Let a drained node start queued runs again',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/nodes/:id/undrain' },
    input: () => z.strictObject({ id: z.string().min(1).max(100) }),
    output: () => nodeInfoSchema,
  }),
  'locks.list': m({
    summary: 'Locks held by runs',
    role: 'viewer',
    http: { method: 'GET', path: '/api/locks' },
    input: () => empty,
    output: () => z.array(lockInfoSchema),
  }),
  'locks.break': m({
    summary: 'Break a lock (for a stale lock left by a run that is no longer executing; force breaks one whose run still executes)',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/locks/:name/break' },
    input: () => z.strictObject({ name: lockNameSchema, force: z.boolean().optional() }),
    output: () => ok,
  }),
  'audit.list': m({
    summary: 'Who did what, when, newest first',
    role: 'viewer',
    http: { method: 'GET', path: '/api/audit' },
    input: () => z.strictObject({
      actor: z.string().max(100).optional(),
      jobId: id.optional(),
      limit: limit(1000).optional(),
      offset: offset.optional(),
    }),
    output: () => listResult(auditEntrySchema),
  }),
  'users.list': m({
    summary: 'Users and their tokens (never the tokens themselves)',
    role: 'superadmin',
    http: { method: 'GET', path: '/api/users' },
    input: () => empty,
    output: () => z.array(userSchema),
  }),
  'users.add': m({
    summary: 'Add a user; the new API token is returned once',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/users' },
    input: () => z.strictObject({ name: userNameSchema, role: z.enum(ROLES), expiresInSeconds: tokenLifetime.optional() }),
    output: () => z.object({ user: userSchema, token: z.string() }),
  }),
  'users.remove': m({
    summary: 'Remove a user and revoke their tokens',
    role: 'superadmin',
    http: { method: 'DELETE', path: '/api/users/:name' },
    input: () => z.strictObject({ name: userNameSchema }),
    output: () => ok,
  }),
  'tokens.create': m({
    summary: 'Issue another API token for a user; returned once',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/users/:name/tokens' },
    input: () => z.strictObject({ name: userNameSchema, expiresInSeconds: tokenLifetime.optional() }),
    output: () => z.object({ id: z.string(), token: z.string(), expiresAt: isoTime.nullable() }),
  }),
  'tokens.revoke': m({
    summary: 'Revoke an API token by its id',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/tokens/:tokenId/revoke' },
    input: () => z.strictObject({ tokenId: z.string().regex(/^[A-Za-z0-9_-]{4,64}$/, 'not a token id') }),
    output: () => ok,
  }),
  'auth.whoami': m({
    summary: 'The caller and their role',
    role: 'viewer',
    http: { method: 'GET', path: '/api/whoami' },
    input: () => empty,
    output: () => z.object({
      name: z.string(),
      role: z.enum(ROLES),
      /** When the caller's token or console session stops working; null for never. */
      expiresAt: isoTime.nullable(),
    }),
  }),
} as const;
