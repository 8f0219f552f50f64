/**
 * The one API of Jobdeck. Every call is listed once with its input and
 * output schemas, the least role allowed to make it, and its HTTP binding
 * (the specs live in methods/, by domain). The engine implements it; IPC and
 * HTTP dispatch it; the console and the CLI consume it.
 */
import type * as z from 'zod';
import { adminMethods } from './methods/admin';
import type { MethodSpec } from './methods/common';
import { jobMethods } from './methods/jobs';
import { notifyMethods } from './methods/notify';
import { runMethods } from './methods/runs';
import type { Role } from './model/misc';

export {
  ARCHIVED_FILTERS,
  CALLER_TRIGGERS,
  downloadSchema,
  JOB_ORDERS,
  JOBS_PAGE_DEFAULT,
  JOBS_PAGE_MAX,
  listResult,
  WAIT_MAX_SECONDS,
  type Download,
  type HttpBinding,
  type MethodSpec,
} from './methods/common';

export const contract = { ...jobMethods, ...runMethods, ...adminMethods, ...notifyMethods } as const;

export type Contract = typeof contract;
export type MethodName = keyof Contract;
export type Input<M extends MethodName> = z.input<Contract[M]['input']>;
export type ParsedInput<M extends MethodName> = z.output<Contract[M]['input']>;
export type Output<M extends MethodName> = z.output<Contract[M]['output']>;

export const METHOD_NAMES = Object.keys(contract) as MethodName[];
/** Methods whose result is a Download (streamed), not JSON. */
export const isDownloadMethod = (name: MethodName): boolean => (contract[name] as MethodSpec).result === 'download';
export const isMethodName = (name: string): name is MethodName => Object.hasOwn(contract, name);

/** Who is calling: every service call runs on someone's behalf. */
export interface CallContext {
  actor: string;
  role: Role;
  /** When the caller's credential stops working (ms since the epoch); absent or null for never. */
  expiresAt?: number | null;
}

/** The service every host implements: one async function per contract method. */
export type Handlers = { [M in MethodName]: (input: ParsedInput<M>, ctx: CallContext) => Promise<Output<M>> };
