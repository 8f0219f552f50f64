/** The contract's calls on runs: triggering, listing, cancelling, waiting, logs and files. */
import * as z from 'zod';
import { paramValue, runStatusSchema } from '../model/job';
import { logPageSchema, resultFileSchema, runSchema } from '../model/run';
import { taskPathSchema, taskRunSchema } from '../model/workflow';
import { CALLER_TRIGGERS, dateText, downloadSchema, id, limit, listResult, m, offset, WAIT_MAX_SECONDS } from './common';

export const runMethods = {
  'runs.trigger': m({
    summary: 'Queue a run of a job now',
    role: 'admin',
    http: { method: 'POST', path: '/api/jobs/:jobId/runs' },
    input: () => z.strictObject({
      jobId: id,
      /** Space-separated arguments, passed to the script as argv and JOBDECK_ARGS. */
      args: z.string().max(10_000).optional(),
      params: z.record(z.string(), paramValue).optional(),
      trigger: z.enum(CALLER_TRIGGERS).optional(),
      /** A workflow job: run only this task (and its subtasks). */
      task: taskPathSchema.optional(),
    }),
    output: () => runSchema,
  }),
  'runs.tasks': m({
    summary: "A workflow run's task runs, in tree order (results over 16 KB are left out: resultTruncated)",
    role: 'viewer',
    http: { method: 'GET', path: '/api/runs/:id/tasks' },
    input: () => z.strictObject({ id }),
    output: () => z.array(taskRunSchema),
  }),
  'runs.rerun': m({
    summary: 'Re-run tasks of a finished workflow run in place (same run id): one task by path, or every task that did not succeed',
    role: 'admin',
    http: { method: 'POST', path: '/api/runs/:id/rerun' },
    input: () => z
      .strictObject({ id, task: taskPathSchema.optional(), failed: z.literal(true).optional() })
      .refine((v) => (v.task === undefined) !== (v.failed === undefined), { message: 'give either task (a path) or failed: true', path: ['task'] }),
    output: () => runSchema,
  }),
  'runs.list': m({
    summary: 'List runs, newest first, filtered by job, status and queued time',
    role: 'viewer',
    http: { method: 'GET', path: '/api/runs' },
    input: () => z.strictObject({
      jobId: id.optional(),
      status: z.array(runStatusSchema).max(5).optional(),
      from: dateText.optional(),
      to: dateText.optional(),
      limit: limit(1000).optional(),
      offset: offset.optional(),
    }),
    output: () => listResult(runSchema),
  }),
  'runs.get': m({
    summary: 'One run',
    role: 'viewer',
    http: { method: 'GET', path: '/api/runs/:id' },
    input: () => z.strictObject({ id }),
    output: () => runSchema,
  }),
  'runs.cancel': m({
    summary: 'Cancel a queued or running run (its whole process tree is stopped)',
    role: 'admin',
    http: { method: 'POST', path: '/api/runs/:id/cancel' },
    input: () => z.strictObject({ id }),
    output: () => runSchema,
  }),
  'runs.wait': m({
    summary: 'Waits until a run has finished (or the timeout passes) and returns it as it is then',
    role: 'viewer',
    http: { method: 'GET', path: '/api/runs/:id/wait' },
    input: () => z.strictObject({ id, timeoutSeconds: z.number().int().min(0).max(WAIT_MAX_SECONDS).optional() }),
    output: () => runSchema,
  }),
  'runs.download': m({
    summary: 'Download a result file of a run (without a name: the primary one, else the first by name)',
    role: 'admin',
    http: { method: 'GET', path: '/api/runs/:id/files/*' },
    input: () => z.strictObject({ id, name: z.string().min(1).max(1024).optional() }),
    output: () => downloadSchema,
    result: 'download',
  }),
  'runs.logExport': m({
    summary: "Download a run's whole log as text",
    role: 'viewer',
    http: { method: 'GET', path: '/api/runs/:id/log' },
    input: () => z.strictObject({ id }),
    output: () => downloadSchema,
    result: 'download',
  }),
  'runs.logs': m({
    summary: 'Log lines of a run after a sequence number',
    role: 'viewer',
    http: { method: 'GET', path: '/api/runs/:id/logs' },
    input: () => z.strictObject({
      id,
      afterSeq: z.number().int().min(0).optional(),
      limit: limit(10_000).optional(),
      /** Only the lines of this workflow task. */
      task: taskPathSchema.optional(),
    }),
    output: () => logPageSchema,
  }),
  'runs.search': m({
    summary: 'Sequence numbers of log lines of a run containing some text (case-insensitive)',
    role: 'viewer',
    http: { method: 'GET', path: '/api/runs/:id/search' },
    input: () => z.strictObject({
      id,
      text: z.string().min(1, 'give some text to search for').max(200),
      limit: limit(10_000).optional(),
    }),
    output: () => z.object({ seqs: z.array(z.number().int()), truncated: z.boolean() }),
  }),
  'runs.files': m({
    summary: 'Result files of a run',
    role: 'viewer',
    http: { method: 'GET', path: '/api/runs/:id/files' },
    input: () => z.strictObject({ id }),
    output: () => z.array(resultFileSchema),
  }),
  'runs.readFile': m({
    summary: 'The start of a result file as text (for previews; at most 1 MB)',
    role: 'admin',
    http: { method: 'GET', path: '/api/runs/:id/preview' },
    input: () => z.strictObject({ id, name: z.string().min(1).max(255), maxBytes: z.number().int().min(1).max(1_048_576).optional() }),
    output: () => z.object({ text: z.string(), size: z.number().int(), truncated: z.boolean() }),
  }),
} as const;

/** The path of a run's result file on the native API (runs.download): each segment of the name encoded, its slashes kept. */
export const resultFilePath = (runId: number, name: string): string => `/api/runs/${runId}/files/${name.split('/').map(encodeURIComponent).join('/')}`;
