/**
 * Error codes of the contract. Every failure that crosses a transport (IPC,
 * HTTP, CLI) carries one of these codes, a human message and, where one input
 * field is at fault, the dotted path of that field.
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'NAME_TAKEN',
  'JOB_ALREADY_RUNNING',
  'JOB_ALREADY_QUEUED',
  'JOB_ARCHIVED',
  'LOCK_HELD',
  'CONFLICT',
  'INVALID_STATE',
  'SCHEDULER_LOCKED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The HTTP status each code maps to on the HTTP transport. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  NOT_FOUND: 404,
  NAME_TAKEN: 409,
  JOB_ALREADY_RUNNING: 409,
  JOB_ALREADY_QUEUED: 409,
  JOB_ARCHIVED: 409,
  LOCK_HELD: 409,
  CONFLICT: 409,
  INVALID_STATE: 409,
  SCHEDULER_LOCKED: 409,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** The plain-data shape of an error, as it travels over every transport. */
export interface ErrorData {
  code: ErrorCode;
  message: string;
  /** Dotted path of the input field at fault, when there is one. */
  field?: string;
}

export class JobdeckError extends Error {
  readonly code: ErrorCode;
  readonly field?: string;

  constructor(code: ErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'JobdeckError';
    this.code = code;
    if (field !== undefined) this.field = field;
  }

  toData(): ErrorData {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }

  static fromData(data: ErrorData): JobdeckError {
    return new JobdeckError(data.code, data.message, data.field);
  }
}

export function isErrorData(value: unknown): value is ErrorData {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ErrorData).code === 'string' &&
    (ERROR_CODES as readonly string[]).includes((value as ErrorData).code) &&
    typeof (value as ErrorData).message === 'string'
  );
}

/** Turns anything thrown into contract error data; unknown errors become INTERNAL. */
export function toErrorData(err: unknown): ErrorData {
  if (err instanceof JobdeckError) return err.toData();
  if (isErrorData(err)) return { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message: `Internal error: ${message}` };
}

export const notFound = (what: string, id: string | number, field = 'id'): JobdeckError =>
  new JobdeckError('NOT_FOUND', `${what} ${JSON.stringify(id)} was not found`, field);
