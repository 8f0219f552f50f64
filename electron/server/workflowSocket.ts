/**
 * The workflow library seed's WebSocket messages, on the live-events socket
 * (same authentication, limits and slow-reader rules):
 *
 *   -> {"type":"watchWorkflowInstance","workflowId":RUN_ID}
 *   <- {"type":"setTasksStatuses","workflowId":RUN_ID,"tasks":{PATH:{path,status,executionTime,body}}}
 *      every task at once, then the tasks that changed, as they change
 *   -> {"type":"unwatchWorkflowInstance","workflowId":RUN_ID}
 *   -> {"type":"runTask","workflowId":RUN_ID,"taskPath":"#.load.eu"}   re-runs a task inside a finished run
 *   -> {"type":"runTask","jobId":JOB_ID,"taskPath":"#.load.eu"}        starts a new run of that task
 *   <- {"type":"taskStarted","workflowId":RUN_ID,"taskPath":…}
 *
 * Statuses are the seed's words (inactive, queued, ok, failed);
 * executionTime is when the task started (ms since the epoch, null before);
 * body is the task's result as JSON text once it is ok or failed. A client
 * that reconnects sends watchWorkflowInstance again and gets every task.
 */
import * as z from 'zod';
import type { CallContext } from '../../shared/contract';
import { validationError } from '../../shared/dispatch';
import { toErrorData } from '../../shared/errors';
import type { Run } from '../../shared/model/run';
import { seedTaskStatus, taskPathSchema, type SeedTaskStatus, type TaskRun } from '../../shared/model/workflow';
import type { Engine } from '../engine/engine';
import type { ContractCall } from './seedCall';

const runId = z.number().int().positive();

export const seedSocketMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('watchWorkflowInstance'), workflowId: runId }),
  z.strictObject({ type: z.literal('unwatchWorkflowInstance'), workflowId: runId }),
  z
    .strictObject({ type: z.literal('runTask'), workflowId: runId.optional(), jobId: runId.optional(), taskPath: taskPathSchema })
    .refine((m) => (m.workflowId === undefined) !== (m.jobId === undefined), { message: 'give workflowId (re-run inside that run) or jobId (a new run)', path: ['workflowId'] }),
]);
export type SeedSocketMessage = z.infer<typeof seedSocketMessageSchema>;

const SEED_TYPES = new Set(['watchWorkflowInstance', 'unwatchWorkflowInstance', 'runTask']);
export const isSeedSocketMessage = (raw: unknown): boolean => typeof raw === 'object' && raw !== null && SEED_TYPES.has((raw as { type?: unknown }).type as string);

export interface SeedTaskStatusEntry {
  path: string;
  status: SeedTaskStatus;
  executionTime: number | null;
  body: string | null;
}

export type SeedSocketReply =
  | { type: 'setTasksStatuses'; workflowId: number; tasks: Record<string, SeedTaskStatusEntry> }
  | { type: 'taskStarted'; workflowId: number; taskPath: string }
  | { type: 'error'; error: { code: string; message: string; field?: string } };

export function seedEntry(t: TaskRun): SeedTaskStatusEntry {
  const status = seedTaskStatus(t.status);
  let body: string | null = null;
  if (status === 'ok') body = JSON.stringify(t.resultTruncated ? { truncated: true } : (t.result ?? null));
  else if (status === 'failed') body = JSON.stringify({ error: t.error, failure: t.failure, result: t.result ?? null });
  return { path: t.path, status, executionTime: t.startedAt ? Date.parse(t.startedAt) : null, body };
}

/** About this much JSON per message: 500 tasks with 16 KiB results would otherwise be one 8 MB frame. */
const MESSAGE_BYTES = 512 * 1024;

/** setTasksStatuses messages for these tasks, split so that none is much over MESSAGE_BYTES. */
function statuses(workflowId: number, tasks: readonly TaskRun[]): SeedSocketReply[] {
  const out: SeedSocketReply[] = [];
  let batch: Record<string, SeedTaskStatusEntry> = {};
  let bytes = 0;
  for (const t of tasks) {
    const entry = seedEntry(t);
    const size = (entry.body?.length ?? 0) + t.path.length + 80;
    if (bytes > 0 && bytes + size > MESSAGE_BYTES) {
      out.push({ type: 'setTasksStatuses', workflowId, tasks: batch });
      batch = {};
      bytes = 0;
    }
    batch[t.path] = entry;
    bytes += size;
  }
  out.push({ type: 'setTasksStatuses', workflowId, tasks: batch });
  return out;
}

/** What the socket gives the seed handler: its subscriptions (counted with the others) and its sender. */
export interface SeedConn {
  subs: Map<string, () => void>;
  maxSubscriptions: number;
  ctx: CallContext;
  send(msg: SeedSocketReply): void;
  /** The socket closed (a watch that finishes after that must not stay subscribed). */
  isClosed(): boolean;
}

export async function handleSeedMessage(raw: unknown, conn: SeedConn, engine: Engine, call: ContractCall): Promise<void> {
  const parsed = seedSocketMessageSchema.safeParse(raw);
  if (!parsed.success) return conn.send({ type: 'error', error: validationError(parsed.error.issues).toData() });
  const msg = parsed.data;
  const key = (id: number) => `workflow:${id}`;
  try {
    if (msg.type === 'unwatchWorkflowInstance') {
      conn.subs.get(key(msg.workflowId))?.();
      conn.subs.delete(key(msg.workflowId));
      return;
    }
    if (msg.type === 'runTask') {
      let run: Run;
      if (msg.workflowId !== undefined) run = await call<Run>('runs.rerun', { id: msg.workflowId, task: msg.taskPath }, conn.ctx);
      else run = await call<Run>('runs.trigger', { jobId: msg.jobId, task: msg.taskPath, trigger: 'api' }, conn.ctx);
      return conn.send({ type: 'taskStarted', workflowId: run.id, taskPath: msg.taskPath });
    }
    const id = msg.workflowId;
    if (!conn.subs.has(key(id)) && conn.subs.size >= conn.maxSubscriptions) {
      return conn.send({ type: 'error', error: { code: 'VALIDATION_FAILED', message: `at most ${conn.maxSubscriptions} subscriptions per connection; unwatch one first` } });
    }
    // The slot is taken now, before anything is awaited: a burst of watches cannot pass the limit together.
    conn.subs.get(key(id))?.();
    const placeholder = () => {};
    conn.subs.set(key(id), placeholder);
    try {
      await call<Run>('runs.get', { id }, conn.ctx);
    } catch (err) {
      if (conn.subs.get(key(id)) === placeholder) conn.subs.delete(key(id));
      throw err;
    }
    if (conn.isClosed() || conn.subs.get(key(id)) !== placeholder) return;
    // Subscribe first, then send every task: a change in between is sent twice, never lost.
    const off = engine.subscribe({ runId: id }, (event) => {
      if (event.type === 'tasks') for (const m of statuses(id, event.tasks)) conn.send(m);
    });
    conn.subs.set(key(id), off);
    const tasks = await call<TaskRun[]>('runs.tasks', { id }, conn.ctx);
    for (const m of statuses(id, tasks)) conn.send(m);
  } catch (err) {
    const data = toErrorData(err);
    conn.send({ type: 'error', error: { ...data, field: data.field === 'id' ? 'workflowId' : data.field } });
  }
}
