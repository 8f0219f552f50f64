/** The building blocks of the contract's method specs: field schemas, the spec shape, downloads. */
import * as z from 'zod';
import { DATE_FORMAT_HINT, parseDate } from '../dates';
import type { Role } from '../model/misc';

export const id = z.number({ error: 'must be a numeric id' }).int('must be a numeric id').positive('must be a positive id');
export const limit = (max: number) => z.number().int().min(1).max(max);
export const offset = z.number().int().min(0).max(100_000_000);
export const dateText = z
  .string()
  .trim()
  .max(40)
  .refine((s) => parseDate(s) !== null, { message: DATE_FORMAT_HINT });
export const empty = z.strictObject({});
export const ok = z.object({ ok: z.literal(true) });

export const ARCHIVED_FILTERS = ['exclude', 'include', 'only'] as const;
/** 'schedule': next execution first, disabled then archived last; 'id': creation order (stable while jobs fire). */
export const JOB_ORDERS = ['schedule', 'id'] as const;
export const JOBS_PAGE_DEFAULT = 200;
export const JOBS_PAGE_MAX = 1000;
export const CALLER_TRIGGERS = ['manual', 'api', 'cli'] as const;

export const listResult = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), total: z.number().int() });

export interface HttpBinding {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Fastify-style path; `:name` segments become input fields. */
  path: string;
}

export interface MethodSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  summary: string;
  role: Role;
  input: I;
  output: O;
  http: HttpBinding;
  /** 'download': the output is a Download streamed as a file, not JSON. Default 'json'. */
  result?: 'json' | 'download';
}

/**
 * What a download call returns: a file to stream. HTTP sends its bytes as the
 * response body; the desktop app saves it where the user picks; the CLI
 * writes it to a file. Never JSON, never held in memory whole.
 */
export interface Download {
  /** The name a browser or save dialog suggests. */
  fileName: string;
  contentType: string;
  /** Bytes, when known ahead (a log export is not). */
  size: number | null;
  sha256: string | null;
  /** The bytes in chunks; each call starts from the beginning. */
  chunks(): AsyncIterable<Uint8Array>;
}

export const downloadSchema = z.custom<Download>(
  (v) => typeof v === 'object' && v !== null && typeof (v as Download).chunks === 'function' && typeof (v as Download).fileName === 'string',
  { message: 'not a download' },
);

/** How long a new API token lives, in seconds: a minute to ten years (omitted: it does not expire). */
export const tokenLifetime = z.number().int().min(60, 'a token lives at least 60 s').max(10 * 365 * 24 * 3600, 'a token lives at most ten years');

/** Longest a runs.wait call waits, in seconds. */
export const WAIT_MAX_SECONDS = 120;

/** A method's spec as written: its schemas as functions that make them. */
export type MethodSource<I extends z.ZodType, O extends z.ZodType> = Omit<MethodSpec<I, O>, 'input' | 'output'> & {
  input: () => I;
  output: () => O;
};

/**
 * A method's spec, whose schemas are made the first time they are asked
 * for: a command that makes three calls does not build the schemas of the
 * hundred others (7 ms of every `jobdeck` start). The schemas of the model
 * (model/) they are made of are built once, as their modules load.
 */
export const m = <I extends z.ZodType, O extends z.ZodType>(source: MethodSource<I, O>): MethodSpec<I, O> => {
  const { input: makeInput, output: makeOutput, ...rest } = source;
  let input: I | undefined;
  let output: O | undefined;
  return {
    ...rest,
    get input() {
      return (input ??= makeInput());
    },
    get output() {
      return (output ??= makeOutput());
    },
  };
};
