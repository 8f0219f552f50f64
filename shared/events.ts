/**
 * Live events the engine publishes and every transport forwards. Log lines
 * carry per-run sequence numbers, so a subscriber that reconnects asks for
 * lines after the last one it saw and gets each line exactly once.
 */
import * as z from 'zod';
import { jobSummarySchema } from './model/job';
import { logLineSchema, runSchema } from './model/run';
import { schedulerStatusSchema } from './model/misc';
import { taskRunSchema } from './model/workflow';

// Made when first used (z.lazy), as the schemas of answers: see run.ts.
export const engineEventSchema = z.lazy(() =>
  z.discriminatedUnion('type', [
    /** A run was queued, started, progressed or finished. */
    z.object({ type: z.literal('run'), run: runSchema }),
    /** New log lines of a run, in sequence order. */
    z.object({ type: z.literal('log'), runId: z.number().int(), jobId: z.number().int(), lines: z.array(logLineSchema) }),
    /** Task runs of a workflow run changed (only those that changed). */
    z.object({ type: z.literal('tasks'), runId: z.number().int(), jobId: z.number().int(), tasks: z.array(taskRunSchema) }),
    /** A job was created or changed (null job: it is gone). */
    z.object({ type: z.literal('job'), jobId: z.number().int(), job: jobSummarySchema.nullable() }),
    /** Scheduler counts or state changed. */
    z.object({ type: z.literal('scheduler'), status: schedulerStatusSchema }),
  ]),
);
export type EngineEvent = z.infer<typeof engineEventSchema>;
export type RunEvent = Extract<EngineEvent, { type: 'run' }>;
export type LogEvent = Extract<EngineEvent, { type: 'log' }>;

/**
 * What a subscriber wants. `runId` with `afterSeq`: that run's status and its
 * log lines after afterSeq (backlog first, then live). `jobId`: status of that
 * job's runs and changes to the job (no log lines). Neither: every run status,
 * job and scheduler event (no log lines).
 */
export const subscriptionSchema = z.strictObject({
  runId: z.number().int().positive().optional(),
  afterSeq: z.number().int().min(0).optional(),
  jobId: z.number().int().positive().optional(),
});
export type Subscription = z.infer<typeof subscriptionSchema>;

/** Does an event belong to a subscription? (log backlog is handled by the publisher) */
export function eventMatches(sub: Subscription, event: EngineEvent): boolean {
  if (sub.runId !== undefined) {
    if (event.type === 'run') return event.run.id === sub.runId;
    if (event.type === 'log' || event.type === 'tasks') return event.runId === sub.runId;
    return false;
  }
  if (event.type === 'log' || event.type === 'tasks') return false;
  if (sub.jobId !== undefined) {
    if (event.type === 'run') return event.run.jobId === sub.jobId;
    if (event.type === 'job') return event.jobId === sub.jobId;
    return false;
  }
  return true;
}

/** Messages a client sends on the live-events WebSocket (`/api/events`). */
export const wsClientMessageSchema = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('subscribe'),
      /** The client's name for this subscription; events come back tagged with it. */
      id: z.string().min(1).max(64),
      sub: subscriptionSchema,
    }),
    z.strictObject({ type: z.literal('unsubscribe'), id: z.string().min(1).max(64) }),
    z.strictObject({ type: z.literal('ping') }),
  ]),
);
export type WsClientMessage = z.infer<typeof wsClientMessageSchema>;

/** Messages the server sends on the live-events WebSocket. */
export type WsServerMessage =
  | { type: 'event'; id: string; event: EngineEvent }
  | { type: 'subscribed'; id: string }
  | { type: 'error'; id?: string; error: { code: string; message: string; field?: string } }
  | { type: 'pong' };

/** Close codes of the live-events WebSocket. */
export const WS_CLOSE = {
  /** The token is missing, wrong or revoked. */
  unauthorized: 4401,
  /** The client read too slowly; reconnect and resume from the last sequence number seen. */
  tooSlow: 4008,
  /** The server is shutting down. */
  goingAway: 1001,
} as const;
