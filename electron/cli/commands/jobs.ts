/** `jobdeck jobs …` */
import type { Command } from 'commander';
import { Option } from 'commander';
import { ARCHIVED_FILTERS, JOBS_PAGE_DEFAULT, JOBS_PAGE_MAX } from '../../../shared/contract';
import { MISFIRE_POLICIES, OVERLAP_POLICIES, RUN_STATUSES } from '../../../shared/model/job';
import type { JobCreate } from '../../../shared/model/jobInput';
import { describeSchedule, nextFires } from '../../../shared/schedule';
import { collect, findJob, parseIntOption, print, printJson, UsageError, withEngine, type GlobalOptions } from '../context';
import { jobsTable, localTime, status, table } from '../format';
import { jobFieldsFromOptions, type JobCliOptions } from '../jobOptions';

function addJobOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'unique job name (1-100 characters)')
    .option('--script <file>', 'file holding the script ("-" reads standard input)')
    .option('--workflow <file>', 'JSON file holding a workflow (a tree of tasks; see the README) instead of a script')
    .option('--runtime <runtime>', 'sh, bash, node, python3, or a command line with {script}')
    .option('--group <group>', 'group the job belongs to')
    .option('--description <text>', 'what the job does')
    .option('--user <user>', "associated user (the user the job's actions are attributed to)")
    .option('--interval <seconds>', 'fire every N seconds (1-300)')
    .option('--cron <expr>', 'fire at cron times (croner syntax; 6 fields for seconds)')
    .option('--tz <zone>', 'IANA time zone of the cron expression (default: this machine\'s)')
    .option('--manual', 'never fire on a schedule; run on demand only')
    .option('--param-def <def>', 'parameter definition NAME:TYPE[!][:DEFAULT] or JSON (repeatable; replaces all)', collect)
    .option('--param <name=value>', 'stored parameter value (repeatable)', collect)
    .option('--timeout <seconds>', 'stop and fail a run after N seconds ("none" for no limit)')
    .addOption(new Option('--overlap <policy>', 'when triggered while running: skip (refuse) or queue (one waiting run)').choices(OVERLAP_POLICIES))
    .option('--retries <count>', 'retry a failed run up to N times')
    .option('--retry-delay <seconds>', 'wait before a retry')
    .addOption(new Option('--misfire <policy>', 'fires missed while down: run-once or skip').choices(MISFIRE_POLICIES))
    .option('--lock <name>', 'jobs sharing a lock never run at once ("none" to clear)')
    .option('--retention <runs>', 'keep the last N runs and their files (default 500)')
    .option('--after <jobs>', 'run after these jobs finish: comma-separated NAME or NAME:STATUS (SUCCEEDED, FAILED, CANCELLED); "none" clears')
    .option('--notify <event=targets>', 'EVENT=GROUP_OR_ADDRESS[,…] (failure, success, recovery, still-failing, interrupted, long-running, missed, lock-held; targets: a group, an address, webhook:NAME, desktop; repeatable, replaces all; "none" clears)', collect)
    .option('--notify-after <n>', 'alert only after N failed runs in a row (default 1)')
    .option('--follow-up <hours>', 'hours between still-failing reminders while it fails (default 1; 0: none)')
    .option('--follow-up-runs <n>', 'also a still-failing reminder every N failed runs')
    .option('--gate <minutes>', 'with --after and a schedule: run at its time only if those succeeded in the last N minutes ("none" clears)')
    .addOption(new Option('--warm <on|off>', 'node and python3 runs start in a pre-started interpreter (default on; off: always a fresh process)').choices(['on', 'off']))
    .option('--enable', 'fire on its schedule')
    .option('--disable', 'do not fire on its schedule');
}

const plural = (n: number, word: string) => `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;

export function registerJobs(program: Command, globals: () => GlobalOptions): void {
  const jobs = program.command('jobs').description('list, show, add, edit, archive jobs');

  jobs
    .command('list')
    .description('jobs ordered by next execution, disabled and archived last')
    .option('--search <text>', 'names containing text')
    .option('--group <group>', 'only this group')
    .addOption(new Option('--last-status <status>', 'only jobs whose last run ended so').choices([...RUN_STATUSES, 'NEVER']))
    .addOption(new Option('--archived <which>', 'archived jobs').choices(ARCHIVED_FILTERS).default('include'))
    .option('--limit <n>', `at most N jobs (1-${JOBS_PAGE_MAX})`, String(JOBS_PAGE_DEFAULT))
    .option('--offset <n>', 'skip the first N', '0')
    .option('--json', 'print JSON')
    .action(async (o: { search?: string; group?: string; lastStatus?: never; archived: never; limit: string; offset: string; json?: boolean }) => {
      await withEngine(globals(), async (client) => {
        const page = await client.call('jobs.list', {
          search: o.search,
          group: o.group,
          lastStatus: o.lastStatus,
          archived: o.archived,
          limit: parseIntOption('--limit', o.limit, 1),
          offset: parseIntOption('--offset', o.offset),
        });
        if (o.json) return printJson(page.items);
        print(page.items.length ? jobsTable(page.items) : 'No jobs.');
        if (page.total > page.items.length) print(`(${page.items.length} of ${page.total}; use --offset and --limit for more)`);
      });
    });

  jobs
    .command('show <job>')
    .description('one job (by id or name) with its script')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { json?: boolean }) => {
      await withEngine(globals(), async (client) => {
        const job = await findJob(client, ref);
        if (o.json) return printJson(job);
        const fires = nextFires(job.schedule, Date.now(), 3).map((t) => localTime(new Date(t).toISOString()));
        print(
          table(
            ['FIELD', 'VALUE'],
            [
              ['id', String(job.id)],
              ['name', job.name],
              ['group', job.group],
              ['description', job.description],
              ['runtime', job.runtime],
              ['schedule', describeSchedule(job.schedule)],
              ['next runs', job.archived || !job.enabled ? '(not scheduled)' : fires.join(', ')],
              ['state', job.archived ? 'archived' : job.enabled ? 'enabled' : 'disabled'],
              ['user', job.user],
              ['parameters', job.params.map((p) => `${p.name}:${p.type}${p.required ? '!' : ''}${p.default !== undefined ? `=${p.default}` : ''}`).join(' ')],
              ['param values', JSON.stringify(job.paramValues)],
              ['timeout', job.timeoutSeconds === null ? 'none' : `${job.timeoutSeconds} s`],
              ['overlap', job.overlap],
              ['retries', `${job.retries.count} (delay ${job.retries.delaySeconds} s)`],
              ['misfire', job.misfire],
              ['lock', job.lock ?? ''],
              ['retention', `${job.retention} runs`],
              ['warm start', job.warm ? 'on' : 'off'],
              ['waits for', job.after.map((d) => (d.status ? `${d.job} (${d.status})` : d.job)).join(', ')],
              ['notify', job.notify ? `${job.notify.rules.map((r) => `${r.event}=${r.to.join(',')}`).join(' ')} (after ${job.notify.afterFailures} failure(s), follow-up every ${job.notify.followUpHours} h)` : ''],
              ['gate', job.gate ? `runs at its time only if those succeeded in the last ${job.gate.withinMinutes} min` : ''],
              ['script md5', job.scriptMd5],
              ['last run', job.lastRun ? `${status(job.lastRun.status)} ${localTime(job.lastRun.at)} (run ${job.lastRun.id})` : ''],
              ['created', `${localTime(job.createdAt)} by ${job.createdBy}`],
              ['updated', `${localTime(job.updatedAt)} by ${job.updatedBy} (revision ${job.revision})`],
            ],
          ),
        );
        print(`\n--- script ---\n${job.script}`);
      });
    });

  addJobOptions(jobs.command('add').description('create a job (needs --name and --script or --workflow)'))
    .option('--json', 'print the created job as JSON')
    .action(async (o: JobCliOptions & { json?: boolean }) => {
      if (!o.name) throw new UsageError('jobs add needs --name');
      if (!o.script && !o.workflow) throw new UsageError('jobs add needs --script FILE or --workflow FILE');
      const fields = jobFieldsFromOptions(o);
      await withEngine(globals(), async (client) => {
        const job = await client.call('jobs.create', fields as JobCreate);
        if (o.json) printJson(job);
        else print(`Created job ${job.id} "${job.name}" (${describeSchedule(job.schedule)}, script md5 ${job.scriptMd5})`);
      });
    });

  addJobOptions(jobs.command('edit <job>').description('change some fields of a job (by id or name)'))
    .option('--json', 'print the job as JSON')
    .action(async (ref: string, o: JobCliOptions & { json?: boolean }) => {
      await withEngine(globals(), async (client) => {
        const job = await findJob(client, ref);
        const changes = jobFieldsFromOptions(o, job);
        if (Object.keys(changes).length === 0) throw new UsageError('nothing to change: give at least one option (see jobs edit --help)');
        const updated = await client.call('jobs.update', { id: job.id, ifRevision: job.revision, changes });
        if (o.json) printJson(updated);
        else if (updated.revision === job.revision) print(`Job ${job.id} "${job.name}" already had these values.`);
        else print(`Updated job ${updated.id} "${updated.name}" (revision ${updated.revision}, script md5 ${updated.scriptMd5})`);
      });
    });

  for (const [verb, method, past] of [
    ['archive', 'jobs.archive', 'Archived'],
    ['unarchive', 'jobs.unarchive', 'Unarchived'],
  ] as const) {
    jobs
      .command(`${verb} <job>`)
      .description(verb === 'archive' ? 'stop using a job: never fired, still listed' : 'bring an archived job back')
      .action(async (ref: string) => {
        await withEngine(globals(), async (client) => {
          const job = await findJob(client, ref);
          await client.call(method, { id: job.id });
          print(`${past} job ${job.id} "${job.name}"`);
        });
      });
  }

  jobs
    .command('delete <job>')
    .description('delete a job with its runs, logs and result files (its audit entries stay)')
    .option('--yes', 'delete without asking: without it, the command only says what would go')
    .option('--json', 'print what was deleted as JSON')
    .action(async (ref: string, o: { yes?: boolean; json?: boolean }) => {
      await withEngine(globals(), async (client) => {
        const job = await findJob(client, ref);
        if (!o.yes) {
          const runs = await client.call('runs.list', { jobId: job.id, limit: 1 });
          throw new UsageError(
            `this would delete job ${job.id} "${job.name}" with its ${plural(runs.total, 'run')}, their logs and result files; add --yes to delete it`,
          );
        }
        const gone = await client.call('jobs.delete', { id: job.id });
        if (o.json) return printJson(gone);
        print(`Deleted job ${gone.id} "${gone.name}" with ${plural(gone.runs, 'run')}, ${plural(gone.logLines, 'log line')} and ${plural(gone.files, 'result file')}`);
      });
    });

  jobs
    .command('history <job>')
    .description('saved versions of a job script')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { json?: boolean }) => {
      await withEngine(globals(), async (client) => {
        const job = await findJob(client, ref);
        const versions = await client.call('jobs.history', { id: job.id });
        if (o.json) return printJson(versions);
        print(table(['VERSION', 'MD5', 'SAVED', 'BY'], versions.map((v) => [String(v.version), v.md5, localTime(v.savedAt), v.savedBy])));
      });
    });
}
