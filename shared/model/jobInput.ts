/**
 * What creating or changing a job accepts: the job's fields, where a
 * workflow may be given as an object (`workflow`) instead of its JSON text in
 * `script` with runtime `workflow`. The engine stores both the same way.
 */
import * as z from 'zod';
import { jobFields, WORKFLOW_RUNTIME } from './job';
import { parseWorkflowText, workflowInputSchema, workflowText, type WorkflowSpec } from './workflow';

type Shape = { script?: string; runtime?: string; workflow?: WorkflowSpec };

/** A script and a workflow exclude each other; a workflow has runtime `workflow`. */
function checkKind(value: Shape, ctx: z.core.$RefinementCtx<Shape>, creating: boolean): void {
  if (value.workflow !== undefined && value.script !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['workflow'], message: 'give a script or a workflow, not both' });
    return;
  }
  if (creating && value.workflow === undefined && value.script === undefined) {
    ctx.addIssue({ code: 'custom', path: ['script'], message: 'is required (or give a workflow)' });
    return;
  }
  if (value.workflow !== undefined && value.runtime !== undefined && value.runtime !== WORKFLOW_RUNTIME) {
    ctx.addIssue({ code: 'custom', path: ['runtime'], message: `a workflow has runtime ${WORKFLOW_RUNTIME}` });
  }
  if (value.runtime === WORKFLOW_RUNTIME && value.script !== undefined) {
    const parsed = parseWorkflowText(value.script);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', path: parsed.field.split('.'), message: parsed.message });
  }
}

export const jobCreateSchema = z
  .strictObject({
    ...z.object(jobFields).partial().shape,
    name: jobFields.name,
    script: jobFields.script.optional(),
    /** A workflow definition (instead of a script). */
    workflow: workflowInputSchema.optional(),
  })
  .superRefine((v, ctx) => checkKind(v, ctx, true));
export type JobCreate = z.infer<typeof jobCreateSchema>;

/** Made when first used (z.lazy, see run.ts): most commands change no job. */
export const jobChangesSchema = z.lazy(() =>
  z
    .strictObject({ ...jobFields, workflow: workflowInputSchema })
    .partial()
    .superRefine((v, ctx) => checkKind(v, ctx, false)),
);
export type JobChanges = z.infer<typeof jobChangesSchema>;

/** The script text and runtime a create or change stores, with a workflow object turned into its text. */
export function normaliseWorkflow<T extends Shape>(input: T): Omit<T, 'workflow'> {
  const { workflow, ...rest } = input;
  if (workflow === undefined) return rest;
  return { ...rest, script: workflowText(workflow), runtime: WORKFLOW_RUNTIME };
}
