/** `jobdeck scheduler …` and `jobdeck locks …`: the scheduler's state and controls, the locks runs hold. */
import type { Command } from 'commander';
import type { SchedulerStatus } from '../../../shared/model/misc';
import { print, printJson, withEngine, type GlobalOptions } from '../context';
import { localTime, table } from '../format';

function describeStatus(s: SchedulerStatus): string {
  const state = !s.active ? `not scheduling here${s.owner ? `: the folder is scheduled by ${s.owner}` : ''}` : s.paused ? 'paused' : 'running';
  const lines = [
    `Scheduler: ${state}`,
    `Runs: ${s.running} running, ${s.queued} queued (at most ${s.concurrency} at once)`,
    `Engine started: ${localTime(s.startedAt)}`,
  ];
  if (s.active && !s.paused && s.nextFires.length) {
    lines.push('', table(['NEXT FIRE', 'JOB'], s.nextFires.map((f) => [localTime(f.at), `${f.jobName} (${f.jobId})`])));
  }
  return lines.join('\n');
}

export function registerScheduler(program: Command, globals: () => GlobalOptions): void {
  const scheduler = program.command('scheduler').description('the scheduler of a data folder or server: state, pause, resume, restart');

  scheduler
    .command('status')
    .description('scheduling or paused, runs in progress and queued, the next fires')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      await withEngine(globals(), async (client) => {
        const status = await client.call('scheduler.status', {});
        if (o.json) printJson(status);
        else print(describeStatus(status));
      });
    });

  const controls = [
    ['pause', 'stop firing schedules (running runs go on; runs started by hand still start)', 'Paused the scheduler'],
    ['resume', 'fire schedules again (fires missed while paused are skipped)', 'Resumed the scheduler'],
    ['restart', 'reload every job and rebuild the schedule, keeping the runs in flight (for a stuck scheduler)', 'Restarted the scheduler: every job reloaded'],
  ] as const;
  for (const [verb, description, done] of controls) {
    const command = scheduler
      .command(verb)
      .description(description)
      .option('--json', 'print the new state as JSON');
    if (verb === 'restart') command.option('--process', 'restart the whole server process (it drains first); only under a service manager, which starts it again');
    command.action(async (o: { json?: boolean; process?: boolean }) => {
      await withEngine(globals(), async (client) => {
        const status = verb === 'restart' && o.process ? await client.call('scheduler.restart', { process: true }) : await client.call(`scheduler.${verb}`, {});
        if (o.json) printJson(status);
        else if (o.process) print(`The server drains (${status.running} running, ${status.queued} queued) and stops; its service manager starts it again.`);
        else print(`${done}; ${status.running} running, ${status.queued} queued.`);
      });
    });
  }

  const locks = program.command('locks').description('locks held by runs (jobs that share a lock never run at once)');
  locks
    .command('list')
    .description('each lock, the run and job holding it, and whether that run still executes')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      await withEngine(globals(), async (client) => {
        const list = await client.call('locks.list', {});
        if (o.json) return printJson(list);
        if (list.length === 0) return print('No locks are held.');
        print(
          table(
            ['LOCK', 'RUN', 'JOB', 'SINCE', 'HOLDER'],
            list.map((l) => [l.name, String(l.runId), `${l.jobName} (${l.jobId})`, localTime(l.acquiredAt), l.holderAlive ? 'running' : 'ended (stale)']),
          ),
        );
      });
    });
  locks
    .command('break <name>')
    .description('break a lock left by a run that no longer executes (--force: even one whose run still executes)')
    .option('--force', 'break it even though its run still executes (jobs meant never to overlap then may)')
    .action(async (name: string, o: { force?: boolean }) => {
      await withEngine(globals(), async (client) => {
        await client.call('locks.break', { name, ...(o.force ? { force: true } : {}) });
        print(`Broke lock "${name}".`);
      });
    });
}
