/**
 * Following a run to its end from the CLI: its log lines as they come, each
 * exactly once, through connections that drop. From a server the lines come
 * live over the events socket, which resumes after the last line seen; from
 * a data folder (whose runs may execute in a serve process) they are read
 * in pages.
 */
import type { JobdeckClient } from '../../../shared/client/client';
import { ServerUnreachable } from '../../../shared/client/httpClient';
import { JobdeckError } from '../../../shared/errors';
import type { LogLine, Run } from '../../../shared/model/run';

const ended = (run: Run): boolean => run.status !== 'QUEUED' && run.status !== 'IN_PROGRESS';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FollowOptions {
  /** Prints one line (stdout lines to stdout, the rest to stderr). */
  printLine: (line: LogLine) => void;
  /** Live over the events socket (a server) instead of reading pages (a data folder). */
  live: boolean;
  /** Only the lines after this one (a re-run continues its run's log). */
  afterSeq?: number;
  /** How long a server may stay unreachable before following gives up (exit code 6). */
  patienceMs?: number;
  /** Told when the connection drops and when it is back (for standard error). */
  onConnection?: (message: string) => void;
}

/** Prints the lines after `afterSeq` that are there now, page by page; resolves to the last seq and whether the run's log is complete. */
async function printPages(client: JobdeckClient, id: number, afterSeq: number, printLine: (l: LogLine) => void): Promise<{ lastSeq: number; done: boolean }> {
  let after = afterSeq;
  // Each page either moves past a line or is the last one, so this ends.
  for (;;) {
    const page = await client.call('runs.logs', { id, afterSeq: after, limit: 5000 });
    for (const line of page.lines) if (line.seq > after) printLine(line);
    const moved = page.lastSeq > after;
    after = Math.max(after, page.lastSeq);
    if (page.done || !moved || page.lines.length === 0) return { lastSeq: after, done: page.done };
  }
}

/** Pages are read again every 300 ms until the run's log is complete; a dropped connection is retried for patienceMs. */
async function followByPages(client: JobdeckClient, id: number, o: FollowOptions): Promise<Run> {
  let after = o.afterSeq ?? 0;
  let failingSince: number | null = null;
  for (;;) {
    try {
      const { lastSeq, done } = await printPages(client, id, after, o.printLine);
      after = lastSeq;
      if (failingSince !== null) o.onConnection?.(`reconnected to ${client.target}; resuming after line ${after}`);
      failingSince = null;
      if (done) return await client.call('runs.get', { id });
    } catch (err) {
      if (!(err instanceof ServerUnreachable)) throw err;
      if (failingSince === null) o.onConnection?.(`lost the connection to ${client.target}; retrying`);
      failingSince ??= Date.now();
      if (Date.now() - failingSince > (o.patienceMs ?? 600_000)) throw err;
      await sleep(1000);
      continue;
    }
    await sleep(300);
  }
}

/** Live: the events socket delivers the backlog, then new lines; it reconnects by itself from the last line seen. */
function followLive(client: JobdeckClient, id: number, o: FollowOptions): Promise<Run> {
  return new Promise<Run>((resolve, reject) => {
    let lastSeq = o.afterSeq ?? 0;
    let lostAt: number | null = null;
    let settled = false;
    let finishing = false;
    const print = (line: LogLine) => {
      if (line.seq <= lastSeq) return;
      lastSeq = line.seq;
      o.printLine(line);
    };
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      unsubscribe();
      clearInterval(watchdog);
      fn();
    };
    // The run ended: whatever lines the socket has not brought yet are read in pages.
    const finish = async (): Promise<void> => {
      if (finishing || settled) return;
      finishing = true;
      try {
        const { lastSeq: seq } = await printPages(client, id, lastSeq, print);
        lastSeq = Math.max(lastSeq, seq);
        const run = await client.call('runs.get', { id });
        settle(() => resolve(run));
      } catch (err) {
        finishing = false;
        if (!(err instanceof ServerUnreachable)) settle(() => reject(err));
      }
    };
    // Catches an end the socket did not report (it ended while the socket was down, or before it opened).
    const checkEnded = () => {
      client.call('runs.get', { id }).then(
        (run) => (ended(run) ? finish() : undefined),
        (err: unknown) => (err instanceof ServerUnreachable ? undefined : settle(() => reject(err))),
      );
    };
    const unsubscribe = client.subscribe(
      { runId: id, afterSeq: lastSeq },
      {
        onEvent(event) {
          if (event.type === 'log') for (const line of event.lines) print(line);
          else if (event.type === 'run' && event.run.id === id && ended(event.run)) void finish();
        },
        onState(state, error) {
          if (state === 'open') {
            if (lostAt !== null) o.onConnection?.(`reconnected to ${client.target}; resuming after line ${lastSeq}`);
            lostAt = null;
            checkEnded();
          } else if (state === 'closed' && error) {
            if (error.code === 'UNAUTHORIZED') return settle(() => reject(new JobdeckError('UNAUTHORIZED', error.message)));
            if (error.code !== 'UNAVAILABLE') return settle(() => reject(JobdeckError.fromData(error as never)));
            if (lostAt === null) o.onConnection?.(`lost the connection to ${client.target}; reconnecting`);
            lostAt ??= Date.now();
          }
        },
      },
    );
    // Gives up on a server that stays away, and looks for an end now and then in case an event was missed.
    const watchdog = setInterval(() => {
      if (lostAt !== null && Date.now() - lostAt > (o.patienceMs ?? 600_000)) {
        settle(() => reject(new ServerUnreachable(client.target, new Error(`no connection for ${Math.round((Date.now() - lostAt!) / 1000)} s`))));
      } else if (lostAt === null) checkEnded();
    }, 5000);
  });
}

/** Follows run `id` until it ends; resolves to the ended run. */
export async function followRun(client: JobdeckClient, id: number, o: FollowOptions): Promise<Run> {
  // Not found, not allowed, or unreachable: said before anything else.
  await client.call('runs.get', { id });
  return o.live ? followLive(client, id, o) : followByPages(client, id, o);
}
