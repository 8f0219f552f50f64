/** `jobdeck runs …` */
import type { Command } from 'commander';
import { RUN_STATUSES, type RunStatus } from '../../../shared/model/job';
import { findJob, parseIntOption, print, printJson, UsageError, withEngine, type GlobalOptions } from '../context';
import { duration, localTime, printLogLine, runDuration, runsTable, status, table } from '../format';
import { followRun } from './follow';
import { saveDownload } from '../saveDownload';
import { exitCodeOf, followOwnRemoteRun, summary, terminalHooks, waitInForeground } from './run';

function parseStatuses(text: string): RunStatus[] {
  const list = text.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  for (const s of list) {
    if (!(RUN_STATUSES as readonly string[]).includes(s)) throw new UsageError(`--status: "${s}" is not one of ${RUN_STATUSES.join(', ')}`);
  }
  return list as RunStatus[];
}

export function registerRuns(program: Command, globals: () => GlobalOptions): void {
  const runs = program.command('runs').description('list, show, follow and cancel runs');

  runs
    .command('list')
    .description('runs, newest first')
    .option('--job <job>', 'runs of one job (id or name)')
    .option('--status <list>', `comma-separated: ${RUN_STATUSES.join(',')}`)
    .option('--from <date>', 'queued at or after (20220221, 20220221T061500 or ISO 8601)')
    .option('--to <date>', 'queued before (a bare date includes that whole day)')
    .option('--limit <n>', 'at most N runs', '50')
    .option('--offset <n>', 'skip the first N', '0')
    .option('--json', 'print JSON')
    .action(async (o: { job?: string; status?: string; from?: string; to?: string; limit: string; offset: string; json?: boolean }) => {
      await withEngine(globals(), async (client) => {
        const jobId = o.job ? (await findJob(client, o.job)).id : undefined;
        const page = await client.call('runs.list', {
          jobId,
          status: o.status ? parseStatuses(o.status) : undefined,
          from: o.from,
          to: o.to,
          limit: parseIntOption('--limit', o.limit, 1),
          offset: parseIntOption('--offset', o.offset),
        });
        if (o.json) return printJson(page);
        if (page.items.length === 0) return print('No runs.');
        print(runsTable(page.items));
        if (page.total > page.items.length) print(`(${page.items.length} of ${page.total}; use --offset and --limit for more)`);
      });
    });

  runs
    .command('show <run>')
    .description('one run with its result files')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { json?: boolean }) => {
      await withEngine(globals(), async (client) => {
        const id = parseIntOption('run', ref, 1);
        const run = await client.call('runs.get', { id });
        const files = await client.call('runs.files', { id });
        const tasks = run.tasks !== null ? await client.call('runs.tasks', { id }) : null;
        if (o.json) return printJson({ ...run, files, ...(tasks ? { taskRuns: tasks } : {}) });
        print(
          table(
            ['FIELD', 'VALUE'],
            [
              ['id', String(run.id)],
              ['job', `${run.jobName} (${run.jobId})`],
              ['status', status(run.status)],
              ['trigger', `${run.trigger} by ${run.triggeredBy}`],
              ['user', run.user],
              ['args', run.args],
              ['params', JSON.stringify(run.params)],
              ['attempt', String(run.attempt) + (run.retryOf ? ` (retry of run ${run.retryOf})` : '')],
              ['queued', localTime(run.queuedAt)],
              ['started', localTime(run.startedAt)],
              ['finished', localTime(run.finishedAt)],
              ['duration', duration(runDuration(run))],
              ['exit', run.exitCode === null ? (run.signal ?? '') : String(run.exitCode)],
              ['error', run.error ?? ''],
              ['progress', run.progress ? `${run.progress.percent}% ${run.progress.message}` : ''],
              ['log lines', String(run.lastSeq)],
            ],
          ),
        );
        if (tasks) {
          print(`\nTasks (round ${run.round}):`);
          print(
            table(
              ['PATH', 'STATUS', 'ATTEMPTS', 'STARTED', 'DURATION', 'NOTE'],
              tasks.map((t) => [
                `${'  '.repeat(t.depth - 1)}${t.path}`,
                status(t.status) + (t.reused ? ' (reused)' : ''),
                String(t.attempts),
                localTime(t.startedAt),
                t.durationMs === null ? '' : `${t.durationMs} ms`,
                t.error ?? t.note ?? '',
              ]),
            ),
          );
        }
        if (files.length) {
          print('\nResult files:');
          print(table(['NAME', 'SIZE', 'SHA-256', ''], files.map((f) => [f.name, String(f.size), f.sha256, f.primary ? 'primary' : ''])));
        }
      });
    });

  runs
    .command('download <run> [name]')
    .description("save a run's result file (without a name: its primary file, else the first by name), checked against its recorded SHA-256")
    .option('-o, --out <file>', 'where to save it ("-": standard output; default: its name, in this folder)')
    .option('--force', 'replace the file if it exists')
    .action(async (ref: string, name: string | undefined, o: { out?: string; force?: boolean }) => {
      await withEngine(globals(), async (client) => {
        const id = parseIntOption('run', ref, 1);
        const download = await client.call('runs.download', { id, ...(name !== undefined ? { name } : {}) });
        const saved = await saveDownload(download, o.out, o.force === true);
        if (saved.path) print(`Saved ${saved.path} (${saved.bytes} bytes${saved.checked ? ', SHA-256 checked' : ''})`);
      });
    });

  runs
    .command('logs <run>')
    .description('log lines of a run (stdout to stdout; stderr and Jobdeck lines to stderr)')
    .option('--after <seq>', 'only lines after this sequence number', '0')
    .option('--task <path>', "only the lines of this workflow task (e.g. '#.load.eu')")
    .option('-f, --follow', 'keep printing new lines until the run ends')
    .option('--json', 'print JSON lines')
    .action(async (ref: string, o: { after: string; task?: string; follow?: boolean; json?: boolean }) => {
      await withEngine(globals(), async (client) => {
        const id = parseIntOption('run', ref, 1);
        let after = parseIntOption('--after', o.after);
        for (;;) {
          const page = await client.call('runs.logs', { id, afterSeq: after, limit: 5000, ...(o.task ? { task: o.task } : {}) });
          for (const line of page.lines) (o.json ? () => print(JSON.stringify(line)) : () => printLogLine(line))();
          after = page.lastSeq;
          if (page.done) break;
          // Pages are cut by bytes as well as lines: only an empty page means "nothing more yet".
          if (page.lines.length === 0) {
            if (!o.follow) break;
            // The run may execute in another process (serve): look again shortly.
            await new Promise((r) => setTimeout(r, 300));
          }
        }
      });
    });

  runs
    .command('follow <run>')
    .description("print a run's log as it comes until the run ends (live from a server, resumed after a dropped connection); exits with the run's exit code")
    .option('--json', 'print JSON lines')
    .action(async (ref: string, o: { json?: boolean }) => {
      await withEngine(globals(), async (client, engine) => {
        const id = parseIntOption('run', ref, 1);
        const run = await followRun(client, id, {
          live: engine === null,
          printLine: o.json ? (line) => print(JSON.stringify(line)) : printLogLine,
          onConnection: (message) => process.stderr.write(`[jobdeck] ${message}\n`),
        });
        summary(run, [], run.tasks !== null ? await client.call('runs.tasks', { id }) : []);
        process.exitCode = exitCodeOf(run);
      });
    });

  runs
    .command('rerun <run>')
    .description('re-run tasks of a finished workflow run in place (same run id), in the foreground')
    .option('--task <path>', "this task and its subtasks (e.g. '#.load.eu')")
    .option('--failed', 'every task that did not succeed (earlier results are reused)')
    .action(async (ref: string, o: { task?: string; failed?: boolean }) => {
      if ((o.task === undefined) === (o.failed === undefined)) throw new UsageError('give --task PATH or --failed');
      await withEngine(
        globals(),
        async (client, engine) => {
          const id = parseIntOption('run', ref, 1);
          // From a server the re-run's lines come over the network, after those of the earlier rounds.
          const before = engine ? 0 : (await client.call('runs.get', { id })).lastSeq;
          await client.call('runs.rerun', { id, ...(o.task !== undefined ? { task: o.task } : { failed: true as const }) });
          const run = engine ? await waitInForeground(client, id) : await followOwnRemoteRun(client, id, before);
          summary(run, [], await client.call('runs.tasks', { id }));
          process.exitCode = exitCodeOf(run);
        },
        terminalHooks(),
      );
    });

  runs
    .command('cancel <run>')
    .description('cancel a queued or running run (stops its whole process tree)')
    .action(async (ref: string) => {
      await withEngine(globals(), async (client) => {
        const run = await client.call('runs.cancel', { id: parseIntOption('run', ref, 1) });
        if (run.status === 'CANCELLED') print(`Run ${run.id} cancelled.`);
        else print(`Cancel requested for run ${run.id}; the process running it stops it within a second.`);
      });
    });
}
