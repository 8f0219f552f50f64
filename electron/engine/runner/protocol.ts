/**
 * The job-script protocol: lines a script prints on stdout to talk to
 * Jobdeck. Every such line is also kept in the log.
 *
 *   ::progress <percent> [message]   progress 0-100, with an optional message
 *   ::result <file name>             names the primary result file in JOBDECK_OUTPUT_DIR
 *   ::audit <message>                an audit entry attributed to the job's associated user
 *   ::return <JSON>                  the result of a workflow task (the last one counts)
 *   ::email <file name> <to>         mail that result file (in JOBDECK_OUTPUT_DIR) to a group or address once the run ends
 */
import { notifyTargetSchema, WEBHOOK_PREFIX } from '../../../shared/model/notify';
import { TASK_RESULT_MAX_BYTES } from '../../../shared/model/workflow';

export type ProtocolCommand =
  | { kind: 'progress'; percent: number; message: string }
  | { kind: 'result'; name: string }
  | { kind: 'audit'; message: string }
  | { kind: 'return'; json: string }
  | { kind: 'email'; file: string; to: string }
  | { kind: 'invalid'; problem: string };

const PREFIX = '::';

/** Parses one stdout line; null when it is ordinary output. */
export function parseProtocolLine(line: string): ProtocolCommand | null {
  if (!line.startsWith(PREFIX)) return null;
  const match = /^::(progress|result|audit|return|email)(?:\s+(.*))?$/.exec(line.trimEnd());
  if (!match) return null;
  const [, verb, rest = ''] = match;
  switch (verb) {
    case 'progress': {
      const m = /^(-?\d+(?:\.\d+)?)%?(?:\s+(.*))?$/.exec(rest);
      if (!m) return { kind: 'invalid', problem: '::progress needs a percent from 0 to 100, then an optional message' };
      const percent = Number(m[1]);
      if (percent < 0 || percent > 100) return { kind: 'invalid', problem: `::progress percent ${m[1]} is outside 0-100` };
      return { kind: 'progress', percent, message: (m[2] ?? '').slice(0, 500) };
    }
    case 'result': {
      const problem = resultNameProblem(rest.trim());
      if (problem) return { kind: 'invalid', problem: `::result ${problem}` };
      return { kind: 'result', name: normaliseResultName(rest.trim()) };
    }
    case 'audit': {
      const message = rest.trim();
      if (!message) return { kind: 'invalid', problem: '::audit needs a message' };
      return { kind: 'audit', message: message.slice(0, 2000) };
    }
    case 'email': {
      const m = /^(\S+)\s+(\S+)$/.exec(rest.trim());
      if (!m) return { kind: 'invalid', problem: '::email needs a result file name and a group or address, e.g. ::email report.html developers' };
      const problem = resultNameProblem(m[1]!);
      if (problem) return { kind: 'invalid', problem: `::email ${problem}` };
      if (!notifyTargetSchema.safeParse(m[2]).success || m[2]!.startsWith(WEBHOOK_PREFIX)) {
        return { kind: 'invalid', problem: `::email "${m[2]}" is neither a group name nor an email address` };
      }
      return { kind: 'email', file: normaliseResultName(m[1]!), to: m[2]! };
    }
    case 'return': {
      const text = rest.trim();
      if (!text) return { kind: 'invalid', problem: '::return needs a JSON value, e.g. ::return {"rows": 42}' };
      if (Buffer.byteLength(text, 'utf8') > TASK_RESULT_MAX_BYTES) {
        return { kind: 'invalid', problem: `::return value is larger than ${TASK_RESULT_MAX_BYTES / 1024} KB` };
      }
      let json: string;
      try {
        // Kept as compact JSON text: what the store holds and later tasks read.
        json = JSON.stringify(JSON.parse(text));
      } catch (err) {
        return { kind: 'invalid', problem: `::return value is not valid JSON (${(err as Error).message})` };
      }
      // Measured again as stored: 1e20 is written out as 21 digits.
      if (Buffer.byteLength(json, 'utf8') > TASK_RESULT_MAX_BYTES) {
        return { kind: 'invalid', problem: `::return value is larger than ${TASK_RESULT_MAX_BYTES / 1024} KB once written as JSON` };
      }
      return { kind: 'return', json };
    }
  }
  return null;
}

export function normaliseResultName(name: string): string {
  return name.replace(/\\/g, '/').replace(/^\.\/+/, '');
}

/** Why a result file name is unusable (absolute, escaping the output folder, …), or null. */
export function resultNameProblem(name: string): string | null {
  if (!name) return 'needs a file name';
  if (name.length > 255) return 'file name is longer than 255 characters';
  if (/[\u0000-\u001f]/.test(name)) return 'file name contains control characters';
  const n = normaliseResultName(name);
  if (n.startsWith('/') || /^[A-Za-z]:/.test(n)) return 'file name must be relative to JOBDECK_OUTPUT_DIR';
  if (n.split('/').some((part) => part === '..' || part === '')) return 'file name must stay inside JOBDECK_OUTPUT_DIR';
  return null;
}
