/**
 * `jobdeck run FILE|JOB [ARGS…]`: one run in the foreground, for testing job
 * scripts offline. A FILE runs in a throwaway data folder through the same
 * runner the scheduler uses; a JOB runs from the data folder and is recorded
 * there (trigger `cli`).
 */
import type { Command } from 'commander';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { JobdeckClient } from '../../../shared/client/client';
import { JobdeckError } from '../../../shared/errors';
import type { ParamDef } from '../../../shared/model/job';
import type { Run } from '../../../shared/model/run';
import type { TaskRun } from '../../../shared/model/workflow';
import type { EngineOptions } from '../../engine/engine';
import { WAIT_MAX_SECONDS } from '../../../shared/contract';
import { outputDir } from '../../engine/paths';
import { collect, databaseOf, findJob, localActor, parseIntOption, print, UsageError, withEngine, type GlobalOptions } from '../context';
import { duration, paint, printLogLine, progressBar, runDuration, status } from '../format';
import { parseParamValues } from '../jobOptions';
import { followRun } from './follow';
import { inferRuntime } from '../runtimeOf';
import { storeTemplatePath } from '../storeTemplate';
import { removeFolder } from '../removeFolder';
import { isEmailAddress } from '../../../shared/model/notify';

interface RunOptions {
  param?: string[];
  task?: string;
  email?: string;
  runtime?: string;
  timeout?: string;
  outputDir?: string;
  nodeLease?: string;
}

export function exitCodeOf(run: Run): number {
  if (run.status === 'SUCCEEDED') return 0;
  if (run.status === 'CANCELLED') return 130;
  return run.exitCode && run.exitCode > 0 ? run.exitCode : 1;
}

/**
 * What the terminal shows of a run: its output as it comes, Jobdeck's own
 * lines dimmed on standard error, and (on a terminal) a progress bar in place
 * of each ::progress line, from the engine's progress reports.
 */
export function terminalHooks(): Pick<EngineOptions, 'onLines' | 'onProgress'> {
  const tty = process.stdout.isTTY === true;
  return {
    onLines: (run, stream, lines) => {
      // A workflow task's lines say which task printed them.
      const tag = run.task ? `[${run.task}] ` : '';
      for (const line of lines) {
        const text = tag + line;
        if (stream === 'stdout') {
          if (!(tty && line.startsWith('::progress'))) process.stdout.write(`${text}\n`);
        } else if (stream === 'stderr') process.stderr.write(`${paint(process.stderr, '31', text)}\n`);
        else process.stderr.write(`${paint(process.stderr, '2', `[jobdeck] ${line}`)}\n`);
      }
    },
    onProgress: (_run, p) => {
      if (tty) process.stdout.write(`${paint(process.stdout, '36', progressBar(p.percent, p.message))}\n`);
    },
  };
}

async function runInForeground(client: JobdeckClient, jobId: number, args: string, params: Record<string, never>, task?: string): Promise<Run> {
  const queued = await client.call('runs.trigger', { jobId, args, params, trigger: 'cli', ...(task ? { task } : {}) });
  return waitInForeground(client, queued.id);
}

/** Waits for a run to end, cancelling it on Ctrl+C (a second Ctrl+C quits at once). */
export async function waitInForeground(client: JobdeckClient, runId: number): Promise<Run> {
  const queued = { id: runId };
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\n[jobdeck] Stopping the run (Ctrl+C again to quit at once)…\n');
    client.call('runs.cancel', { id: queued.id }).catch(() => {
      /* already finished */
    });
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    for (;;) {
      const run = await client.call('runs.wait', { id: queued.id, timeoutSeconds: WAIT_MAX_SECONDS });
      if (run.status !== 'QUEUED' && run.status !== 'IN_PROGRESS') return run;
    }
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

export function summary(run: Run, files: { name: string; size: number; path: string }[], tasks: TaskRun[] = []): void {
  const ended = run.exitCode !== null ? `exit code ${run.exitCode}` : (run.signal ?? '');
  // A timeout's or a cancel's signal is the engine's doing: the reason comes first ("timeout after 1 s, SIGTERM").
  const stopped = run.failure === 'TIMEOUT' || run.failure === 'CANCELLED';
  const exit = stopped ? [run.error, ended].filter(Boolean).join(', ') : ended || (run.error ?? '');
  process.stderr.write(
    `${paint(process.stderr, '1', `Run ${run.id} ${status(run.status, process.stderr)}`)} in ${duration(runDuration(run)) || '0 ms'}${exit ? ` (${exit})` : ''}${
      run.error && run.exitCode !== null && !exit.includes(run.error) ? `: ${run.error}` : ''
    }\n`,
  );
  for (const t of tasks) {
    const took = t.durationMs !== null ? ` ${duration(t.durationMs) || '0 ms'}` : '';
    const why = t.error ?? t.note ?? '';
    process.stderr.write(`  ${'  '.repeat(t.depth - 1)}${t.path}  ${status(t.status, process.stderr)}${took}${t.reused ? ' (reused)' : ''}${why ? `  ${why}` : ''}\n`);
  }
  if (files.length) {
    print('Result files:');
    for (const f of files) print(`  ${f.path}  (${f.size} bytes)${f.name === run.resultFile ? '  [primary]' : ''}`);
  }
}

export function registerRun(program: Command, globals: () => GlobalOptions): void {
  program
    .command('run <target> [args...]')
    .description('run a script FILE or a stored JOB once, in the foreground (args after -- are passed as they are)')
    .option('--param <name=value>', 'parameter value (repeatable)', collect)
    .option('--runtime <runtime>', 'runtime of a FILE: sh, bash, node, python3, or a command line with {script}')
    .option('--timeout <seconds>', 'stop and fail the run after N seconds (FILE runs)')
    .option('--output-dir <dir>', 'copy the result files here')
    .option('--task <path>', "a workflow JOB: run only this task and its subtasks (e.g. '#.load.eu')")
    .option('--email <addresses>', "mail the run's summary to these addresses (comma-separated; a JOB: its recip parameter)")
    .option('--node-lease <seconds>', 'a JOB on a shared database: if this process goes silent this long, the serve nodes end its run "node lost" (default 30)')
    .action(async (target: string, args: string[], o: RunOptions) => {
      const isFile = existsSync(target) && statSync(target).isFile();
      let code = 1;
      if (isFile) code = await runFile(target, args, o);
      else code = await runJob(target, args, o, globals());
      process.exitCode = code;
    });
}

async function runFile(path: string, args: string[], o: RunOptions): Promise<number> {
  const script = readFileSync(path, 'utf8');
  const runtime = o.runtime ?? inferRuntime(path, script);
  const values = parseParamValues(o.param ?? [], []);
  const defs: ParamDef[] = Object.keys(values).map((name) => ({ name, type: 'string' }));
  const dataDir = mkdtempSync(join(tmpdir(), 'jobdeck-run-'));
  let keep = false;
  // A command cut short (its output closed under `| head`, a second Ctrl+C) exits at once, past
  // `finally`: its throwaway folder goes as the process exits.
  const removeOnExit = () => removeFolder(dataDir);
  process.once('exit', removeOnExit);
  try {
    return await withEngine(
      { dataDir },
      async (client) => {
        const to = o.email ? emailList(o.email) : [];
        if (to.length && !process.env.JOBDECK_SMTP_URL) throw new UsageError('--email needs an SMTP server: set JOBDECK_SMTP_URL (e.g. smtp://user:pass@host:587)');
        const job = await client.call('jobs.create', {
          name: basename(path),
          script,
          runtime,
          schedule: { kind: 'manual' },
          params: defs,
          paramValues: values,
          user: localActor(),
          timeoutSeconds: o.timeout ? parseIntOption('--timeout', o.timeout, 1) : null,
          // The seed's command-line runs mail their summary, whatever the outcome.
          notify: to.length ? { rules: [{ event: 'failure', to }, { event: 'success', to }], afterFailures: 1, followUpHours: 0 } : null,
        });
        const run = await runInForeground(client, job.id, args.join(' '), {});
        if (to.length) await reportDelivery(client, run.id);
        const files = (await client.call('runs.files', { id: run.id })).map((f) => ({
          ...f,
          path: join(outputDir(dataDir, job.id, run.id), f.name),
        }));
        keep = files.length > 0 && !o.outputDir;
        summary(run, copyOut(files, o.outputDir));
        return exitCodeOf(run);
      },
      // Where runs start from a launcher (Windows), it boots while the throwaway folder is made ready and the job recorded.
      // The store is thrown away with the folder: it stays in memory (no file to create, sync and remove).
      { killGraceMs: 3000, startLaunchers: true, memoryStore: { template: storeTemplatePath() }, ...terminalHooks() },
    );
  } finally {
    process.off('exit', removeOnExit);
    if (!keep) removeFolder(dataDir);
  }
}

async function runJob(ref: string, args: string[], o: RunOptions, globals: GlobalOptions): Promise<number> {
  if (o.runtime || o.timeout) throw new UsageError('--runtime and --timeout apply to script files; a stored job uses its own settings');
  if (o.task !== undefined && !/^#(\.[^.#]+)+$/.test(o.task)) throw new UsageError(`--task: "${o.task}" is not a task path (it looks like '#.load.eu')`);
  if (o.nodeLease !== undefined && !databaseOf(globals)) throw new UsageError('--node-lease applies on a shared database (--database URL or JOBDECK_DATABASE_URL)');
  const nodeLeaseMs = o.nodeLease === undefined ? undefined : parseIntOption('--node-lease', o.nodeLease, 1) * 1000;
  return withEngine(
    globals,
    async (client, engine) => {
      let job;
      try {
        job = await findJob(client, ref);
      } catch (err) {
        if (!engine || !(err instanceof JobdeckError) || err.code !== 'NOT_FOUND') throw err;
        throw new JobdeckError('NOT_FOUND', `"${ref}" is neither a script file nor a job in ${engine.dataDir}`, 'target');
      }
      const params = parseParamValues(o.param ?? [], job.params);
      if (o.email) {
        if (!job.params.some((p) => p.name === 'recip')) {
          throw new UsageError(`--email: job "${job.name}" has no recip parameter to send to (add one: jobs edit "${job.name}" --param-def recip:string)`);
        }
        params.recip = emailList(o.email).join(', ');
        const settings = await client.call('notify.settings', {});
        if (!settings.smtp && !settings.smtpFromEnvironment) {
          throw new UsageError('--email needs an SMTP server: jobdeck notify smtp URL --from ADDRESS, or JOBDECK_SMTP_URL');
        }
      }
      if (!engine) return runRemote(client, job.id, args.join(' '), params as Record<string, never>, o);
      const run = await runInForeground(client, job.id, args.join(' '), params as Record<string, never>, o.task);
      if (o.email) await reportDelivery(client, run.id);
      const files = (await client.call('runs.files', { id: run.id })).map((f) => ({
        ...f,
        path: join(outputDir(engine.dataDir, job.id, run.id), f.name),
      }));
      summary(run, copyOut(files, o.outputDir), run.tasks !== null ? await client.call('runs.tasks', { id: run.id }) : []);
      return exitCodeOf(run);
    },
    // On a shared database this process is a node while it runs the job (`jobdeck nodes` lists it).
    { startLaunchers: true, registerNode: true, nodeAddress: 'jobdeck run', nodeLeaseMs, ...terminalHooks() },
  );
}

/**
 * Follows a run this command started on a server, from line `afterSeq`:
 * Ctrl+C cancels it (a second Ctrl+C quits at once).
 */
export async function followOwnRemoteRun(client: JobdeckClient, id: number, afterSeq: number): Promise<Run> {
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\n[jobdeck] Stopping the run (Ctrl+C again to quit at once)…\n');
    client.call('runs.cancel', { id }).catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    return await followRun(client, id, { live: true, afterSeq, printLine: printLogLine, onConnection: (message) => process.stderr.write(`[jobdeck] ${message}\n`) });
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

/**
 * A run on a server, followed from here: its log as it comes (live, resumed
 * where it left off after a dropped connection), Ctrl+C cancels it,
 * and the command exits with the run's exit code. Its result files stay on
 * the server (their names are listed).
 */
async function runRemote(client: JobdeckClient, jobId: number, args: string, params: Record<string, never>, o: RunOptions): Promise<number> {
  if (o.outputDir) throw new UsageError('--output-dir copies local result files; with --server download them from the run (GET /api/runs/ID/files/NAME)');
  const queued = await client.call('runs.trigger', { jobId, args, params, trigger: 'cli', ...(o.task ? { task: o.task } : {}) });
  const run = await followOwnRemoteRun(client, queued.id, 0);
  const files = await client.call('runs.files', { id: run.id });
  summary(run, [], run.tasks !== null ? await client.call('runs.tasks', { id: run.id }) : []);
  if (files.length) print(`Result files (on the server): ${files.map((f) => f.name).join(', ')}`);
  if (o.email) await reportDelivery(client, run.id);
  return exitCodeOf(run);
}

function emailList(text: string): string[] {
  const list = text.split(/[\s,;]+/).filter(Boolean);
  const bad = list.find((a) => !isEmailAddress(a));
  if (bad || !list.length) throw new UsageError(`--email: "${bad ?? text}" is not an email address`);
  return list;
}

/** Waits (up to 30 s) for the run's messages to be delivered or given up, and says which. */
async function reportDelivery(client: JobdeckClient, runId: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const list = await client.call('notify.deliveries', { runId });
    const open = list.filter((d) => d.status === 'pending' || d.status === 'sending');
    if ((open.length === 0 && list.length > 0) || Date.now() > deadline) {
      for (const d of list) {
        const line = `${d.status === 'sent' ? 'Mailed' : 'Could not mail'} the summary to ${d.target}: ${d.answer ?? d.status}`;
        process.stderr.write(`${paint(process.stderr, d.status === 'sent' ? '2' : '31', `[jobdeck] ${line}`)}\n`);
      }
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function copyOut<T extends { name: string; path: string }>(files: T[], dir: string | undefined): T[] {
  if (!dir) return files;
  return files.map((f) => {
    const dest = resolve(dir, f.name);
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(f.path, dest);
    return { ...f, path: dest };
  });
}
