/** Scheduler status, locks, audit entries, users and export documents. */
import * as z from 'zod';
import { isoTime } from './time';
import { jobFields } from './job';


// Made when first used (z.lazy), as the schemas of answers: see run.ts.
export const nextFireSchema = z.lazy(() => z.object({ jobId: z.number().int(), jobName: z.string(), at: isoTime }));

export const schedulerStatusSchema = z.lazy(() =>
  z.object({
    /** True when this engine fires schedules (it owns the data folder). */
    active: z.boolean(),
    paused: z.boolean(),
    running: z.number().int(),
    queued: z.number().int(),
    concurrency: z.number().int(),
    nextFires: z.array(nextFireSchema),
    /** Who owns the data folder's scheduler, when it is not this engine. */
    owner: z.string().nullable(),
    /** A service manager restarts this engine's process when it stops: a whole-process restart is offered. */
    supervised: z.boolean(),
    /** This node is drained (jobdeck nodes drain): no queued run starts here. */
    draining: z.boolean(),
    startedAt: isoTime,
  }),
);
export type SchedulerStatus = z.infer<typeof schedulerStatusSchema>;

/** A process serving the store (a `serve`, the desktop app): nodes of one store share its jobs and runs. */
export const nodeInfoSchema = z.lazy(() =>
  z.object({
    id: z.string(),
    /** Where it serves (its URL), or `desktop` / `local`. */
    address: z.string(),
    version: z.string(),
    host: z.string(),
    pid: z.number().int(),
    startedAt: isoTime,
    heartbeatAt: isoTime,
    leaseSeconds: z.number(),
    /** Starts no queued run (runs in progress go on). */
    draining: z.boolean(),
    /** alive: heartbeat within its lease; late: past it, not yet declared lost; lost: declared lost (its runs failed); stopped: closed cleanly. */
    state: z.enum(['alive', 'late', 'lost', 'stopped']),
    runsInProgress: z.number().int(),
    /** The node answering this call. */
    self: z.boolean(),
  }),
);
export type NodeInfo = z.infer<typeof nodeInfoSchema>;

export const lockInfoSchema = z.lazy(() =>
  z.object({
    name: z.string(),
    runId: z.number().int(),
    jobId: z.number().int(),
    jobName: z.string(),
    acquiredAt: isoTime,
    /** False when the run holding it has already ended: a stale lock. */
    holderAlive: z.boolean(),
  }),
);
export type LockInfo = z.infer<typeof lockInfoSchema>;

export const AUDIT_TARGETS = ['job', 'run', 'lock', 'scheduler', 'user', 'token', 'import', 'notify'] as const;
export const auditEntrySchema = z.lazy(() =>
  z.object({
    id: z.number().int(),
    at: isoTime,
    actor: z.string(),
    action: z.string(),
    targetType: z.enum(AUDIT_TARGETS),
    targetId: z.string().nullable(),
    targetName: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
  }),
);
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const ROLES = ['viewer', 'admin', 'superadmin'] as const;
export type Role = (typeof ROLES)[number];
export const roleRank = (r: Role): number => ROLES.indexOf(r);

export const tokenInfoSchema = z.lazy(() =>
  z.object({
    id: z.string(),
    createdAt: isoTime,
    lastUsedAt: isoTime.nullable(),
    revokedAt: isoTime.nullable(),
    /** When the token stops working; null for never. */
    expiresAt: isoTime.nullable(),
  }),
);
export type TokenInfo = z.infer<typeof tokenInfoSchema>;

export const userSchema = z.lazy(() =>
  z.object({
    name: z.string(),
    role: z.enum(ROLES),
    createdAt: isoTime,
    tokens: z.array(tokenInfoSchema),
  }),
);
export type User = z.infer<typeof userSchema>;

export const userNameSchema = z
  .string()
  .trim()
  .min(1, 'user name is required')
  .max(64, 'user name must be at most 64 characters')
  .regex(/^[A-Za-z0-9_.@-]+$/, 'user names use letters, digits, _ . @ -');

/** One job in an export document: its full definition plus whether it is archived. */
export const exportedJobSchema = z.lazy(() =>
  z.strictObject({
    ...jobFields,
    // Documents exported before jobs could wait for each other have neither field.
    after: jobFields.after.default([]),
    gate: jobFields.gate.default(null),
    notify: jobFields.notify.default(null),
    // Documents exported before warm starts existed: on, as for a new job.
    warm: jobFields.warm.default(true),
    archived: z.boolean(),
  }),
);
export type ExportedJob = z.infer<typeof exportedJobSchema>;

export const exportDocumentSchema = z.lazy(() =>
  z.strictObject({
    format: z.literal('jobdeck-export', { error: 'format must be "jobdeck-export"' }),
    version: z.literal(1, { error: 'version must be 1' }),
    exportedAt: z.string(),
    jobs: z.array(exportedJobSchema).max(100_000),
  }),
);
export type ExportDocument = z.infer<typeof exportDocumentSchema>;

export const importReportSchema = z.lazy(() =>
  z.object({
    dryRun: z.boolean(),
    created: z.array(z.string()),
    updated: z.array(z.string()),
    unchanged: z.array(z.string()),
  }),
);
export type ImportReport = z.infer<typeof importReportSchema>;
