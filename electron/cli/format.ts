/** Text output of the CLI: tables, durations, colours when the terminal has them. */
import type { JobSummary, RunStatus } from '../../shared/model/job';
import type { LogLine, Run } from '../../shared/model/run';
import type { TaskStatus } from '../../shared/model/workflow';
import { describeSchedule } from '../../shared/schedule';

const useColour = (stream: NodeJS.WriteStream): boolean => stream.isTTY === true && !process.env.NO_COLOR;

export function paint(stream: NodeJS.WriteStream, code: string, text: string): string {
  return useColour(stream) ? `\u001b[${code}m${text}\u001b[0m` : text;
}

const STATUS_COLOUR: Record<RunStatus | TaskStatus, string> = {
  PENDING: '2',
  QUEUED: '36',
  IN_PROGRESS: '34',
  RUNNING: '34',
  SUCCEEDED: '32',
  FAILED: '31',
  CANCELLED: '33',
  SKIPPED: '2',
};

/** A run's or a workflow task's status, in its colour. */
export const status = (s: RunStatus | TaskStatus, stream: NodeJS.WriteStream = process.stdout): string => paint(stream, STATUS_COLOUR[s], s);

/** Lays rows out in columns under a header. */
export function table(header: string[], rows: string[][]): string {
  const strip = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => strip(r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(Math.max(0, widths[i]! - strip(c).length))))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function duration(ms: number | null): string {
  if (ms === null || ms < 0) return '';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

export function localTime(isoText: string | null): string {
  if (!isoText) return '';
  const d = new Date(isoText);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function runDuration(run: Run): number | null {
  if (!run.startedAt) return null;
  const end = run.finishedAt ? Date.parse(run.finishedAt) : Date.now();
  return end - Date.parse(run.startedAt);
}

export function jobsTable(jobs: JobSummary[]): string {
  return table(
    ['ID', 'NAME', 'GROUP', 'SCHEDULE', 'NEXT RUN', 'LAST RUN', 'USER', 'MD5', 'STATE'],
    jobs.map((j) => [
      String(j.id),
      j.name,
      j.group,
      describeSchedule(j.schedule),
      localTime(j.nextRunAt),
      j.lastRun ? `${status(j.lastRun.status)} ${localTime(j.lastRun.at)}` : '',
      j.user,
      j.scriptMd5.slice(0, 8),
      j.archived ? 'archived' : j.enabled ? 'enabled' : 'disabled',
    ]),
  );
}

export function runsTable(runs: Run[]): string {
  return table(
    ['ID', 'JOB', 'STATUS', 'TRIGGER', 'BY', 'QUEUED', 'STARTED', 'DURATION', 'EXIT', 'ERROR'],
    runs.map((r) => [
      String(r.id),
      r.jobName,
      status(r.status) + (r.progress && r.status === 'IN_PROGRESS' ? ` ${r.progress.percent}%` : ''),
      r.trigger,
      r.triggeredBy,
      localTime(r.queuedAt),
      localTime(r.startedAt),
      duration(runDuration(r)),
      r.exitCode === null ? (r.signal ?? '') : String(r.exitCode),
      r.error ?? '',
    ]),
  );
}

/** A one-line progress bar: "[#####-----] 50% message". */
export function progressBar(percent: number, message: string, width = 20): string {
  const filled = Math.round((Math.max(0, Math.min(100, percent)) / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}%${message ? ` ${message}` : ''}`;
}

/** A stored log line as the terminal shows it: stdout on stdout, the rest on stderr (a workflow task's lines tagged with its path). */
export function printLogLine(line: LogLine): void {
  const text = line.task ? `[${line.task}] ${line.text}` : line.text;
  if (line.stream === 'stdout') process.stdout.write(`${text}\n`);
  else if (line.stream === 'stderr') process.stderr.write(`${paint(process.stderr, '31', text)}\n`);
  else process.stderr.write(`${paint(process.stderr, '2', `[jobdeck] ${line.text}`)}\n`);
}
