/** Triggering, listing, cancelling and waiting for runs; their logs, files and downloads. */
import type { CallContext, Download, ParsedInput } from '../../../shared/contract';
import { fromBound, parseDate, toBound } from '../../../shared/dates';
import { JobdeckError, notFound } from '../../../shared/errors';
import { isFinished, type LogPage, type ResultFile, type Run } from '../../../shared/model/run';
import type { Clock } from '../clock';
import { logDownload } from '../logText';
import type { EngineConfig } from '../options';
import { fileDownload, isElsewhere, locateResultFile, previewText, readFileStart } from '../resultFile';
import type { NodeFiles } from '../nodeFiles';
import type { Readable } from 'node:stream';
import type { Dispatcher } from '../runs/dispatcher';
import type { RunStateMachine } from '../runs/stateMachine';
import type { Runner } from '../runner/runner';
import { toLogLine, toRun, type RunRow } from '../store/rows';
import type { EngineStore as Store } from '../store/engineStore';

export interface RunsServiceDeps {
  store: Store;
  clock: Clock;
  config: EngineConfig;
  machine: RunStateMachine;
  dispatcher: Dispatcher;
  runner: Runner;
  owner: string;
  /** Is another engine instance (another process) still running? */
  isAlive(owner: string): boolean;
  /** Interrupts the runs of dead processes. */
  recover(): Promise<void>;
  isClosing(): boolean;
  /** Result files kept by other nodes of a shared database. */
  nodeFiles: NodeFiles;
}

const DEFAULT_LOG_LINES = 1000;
/** How often runs.wait looks at a run executing in another process. */
const WAIT_POLL_MS = 250;

export class RunsService {
  constructor(private readonly deps: RunsServiceDeps) {}

  private async row(id: number): Promise<RunRow> {
    const row = await this.deps.store.runs.get(id);
    if (!row) throw notFound('run', id);
    return row;
  }

  async get(id: number): Promise<Run> {
    return toRun(await this.row(id));
  }

  async trigger(input: ParsedInput<'runs.trigger'>, ctx: CallContext): Promise<Run> {
    if (this.deps.isClosing()) throw new JobdeckError('UNAVAILABLE', 'the engine is shutting down');
    // As queued (it may be starting already; its events tell).
    return toRun(
      await this.deps.machine.queue({ jobId: input.jobId, args: input.args, params: input.params, trigger: input.trigger ?? 'api', by: ctx.actor, task: input.task }),
    );
  }

  async list(input: ParsedInput<'runs.list'>): Promise<{ items: Run[]; total: number }> {
    const from = input.from ? parseDate(input.from) : null;
    const to = input.to ? parseDate(input.to) : null;
    if (from && to && fromBound(from) >= toBound(to)) throw new JobdeckError('VALIDATION_FAILED', 'from: must be before to', 'from');
    const { rows, total } = await this.deps.store.runs.list({
      jobId: input.jobId,
      statuses: input.status,
      fromMs: from ? fromBound(from) : undefined,
      toMs: to ? toBound(to) : undefined,
      limit: input.limit ?? 50,
      offset: input.offset ?? 0,
    });
    return { items: rows.map(toRun), total };
  }

  /**
   * Cancels a queued or running run, whichever process runs it: here it is
   * stopped at once; a live process sharing the folder picks the request up
   * within a second; the runs of a dead one are interrupted.
   */
  async cancel(id: number, ctx: CallContext): Promise<Run> {
    const row = await this.row(id);
    if (isFinished(row.status)) throw new JobdeckError('INVALID_STATE', `run ${id} has already finished (${row.status})`, 'id');
    await this.deps.machine.requestCancel(row, ctx.actor);
    if (row.owner === this.deps.owner) await this.cancelHere(id, ctx.actor);
    else if (!this.deps.isAlive(row.owner)) await this.deps.recover();
    return this.get(id);
  }

  /** Cancels a run of this engine: stops its process, or records it cancelled if it has not started. */
  async cancelHere(id: number, by: string): Promise<void> {
    if (this.deps.runner.cancel(id, by)) return;
    // Being claimed right now: once the claim is in, it has started (stop it) or was recorded cancelled.
    const claim = this.deps.dispatcher.claimOf(id);
    if (claim) {
      await claim;
      this.deps.runner.cancel(id, by);
      return;
    }
    if (this.deps.dispatcher.remove(id)) await this.deps.machine.cancelQueued(id, by);
  }

  /** Cancels a job's waiting runs (its running one finishes). */
  async cancelQueuedOf(jobId: number, ctx: CallContext): Promise<void> {
    for (const row of await this.deps.store.runs.unfinished()) {
      if (row.job_id !== jobId || row.status !== 'QUEUED') continue;
      try {
        await this.cancel(row.id, ctx);
      } catch {
        /* it started or ended meanwhile */
      }
    }
  }

  async logs(input: ParsedInput<'runs.logs'>): Promise<LogPage> {
    const row = await this.row(input.id);
    const after = input.afterSeq ?? 0;
    const max = input.limit ?? DEFAULT_LOG_LINES;
    const lines = (await this.deps.store.logs.page(input.id, after, max, this.deps.config.logPageBytes, input.task)).map(toLogLine);
    const lastSeq = lines.length ? lines[lines.length - 1]!.seq : after;
    return { lines, lastSeq, done: isFinished(row.status) && lastSeq >= row.last_seq };
  }

  async search(input: ParsedInput<'runs.search'>): Promise<{ seqs: number[]; truncated: boolean }> {
    await this.row(input.id);
    const max = input.limit ?? 1000;
    const seqs = await this.deps.store.logs.search(input.id, input.text, max + 1);
    return { seqs: seqs.slice(0, max), truncated: seqs.length > max };
  }

  async files(id: number): Promise<ResultFile[]> {
    await this.row(id);
    return (await this.deps.store.runs.files(id)).map((f) => ({ name: f.name, size: f.size, sha256: f.sha256, primary: f.is_primary === 1 }));
  }

  async readFile(input: ParsedInput<'runs.readFile'>) {
    const maxBytes = input.maxBytes ?? 262_144;
    const file = await locateResultFile(this.deps.store, this.deps.config.dataDir, input.id, input.name, this.deps.owner);
    if (!isElsewhere(file)) return readFileStart(file, maxBytes);
    // Kept by another node: its first bytes, then the transfer is cut.
    const { stream } = await this.deps.nodeFiles.fetch(file.node, file.runId, file.name, file.size, file.sha256);
    const chunks: Buffer[] = [];
    let bytes = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        bytes += chunk.length;
        if (bytes >= maxBytes) break;
      }
    } catch (err) {
      // A wrong file stays a CONFLICT; a broken transfer is the keeper being unavailable.
      throw err instanceof JobdeckError ? err : new JobdeckError('UNAVAILABLE', (err as Error).message);
    } finally {
      stream.destroy();
    }
    return previewText(Buffer.concat(chunks).subarray(0, maxBytes), file.size);
  }

  async download(input: ParsedInput<'runs.download'>): Promise<Download> {
    const file = await locateResultFile(this.deps.store, this.deps.config.dataDir, input.id, input.name ?? null, this.deps.owner);
    if (!isElsewhere(file)) return fileDownload(file);
    const fetchIt = () => this.deps.nodeFiles.fetch(file.node, file.runId, file.name, file.size, file.sha256);
    // Fetched now, so a keeper that cannot give it is an error before any byte is sent.
    let first: Readable | null = (await fetchIt()).stream;
    async function* again() {
      yield* (await fetchIt()).stream as AsyncIterable<Uint8Array>;
    }
    // The first call streams what was fetched (unless it was cut while nobody read it, e.g. a save dialog left open);
    // a later one fetches again (each call starts from the beginning).
    const chunks = (): AsyncIterable<Uint8Array> => {
      const stream = first;
      first = null;
      return stream && !stream.destroyed ? stream : again();
    };
    return { fileName: file.name.split('/').pop()!, contentType: file.contentType, size: file.size, sha256: file.sha256, chunks };
  }

  async logExport(id: number): Promise<Download> {
    const row = await this.row(id);
    return logDownload(this.deps.store, id, row.job_name);
  }

  /** The run once it has finished, or as it is when the timeout passes (null: no timeout). */
  async wait(id: number, timeoutSeconds: number | null = 30): Promise<Run> {
    const row = await this.row(id);
    if (isFinished(row.status) || timeoutSeconds === 0) return toRun(row);
    const deadline = timeoutSeconds === null ? Infinity : Date.now() + timeoutSeconds * 1000;
    if (row.owner === this.deps.owner) {
      const waiting = this.deps.machine.whenEnded(id);
      if (deadline === Infinity) return waiting.ended;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), deadline - Date.now());
      });
      const run = await Promise.race([waiting.ended, timeout]);
      clearTimeout(timer);
      if (run) return run;
      waiting.cancel();
      return this.get(id);
    }
    // Executed by another process: look at the store until it ends.
    for (;;) {
      const now = await this.row(id);
      if (isFinished(now.status) || Date.now() >= deadline) return toRun(now);
      await new Promise((r) => setTimeout(r, Math.min(WAIT_POLL_MS, Math.max(1, deadline - Date.now()))));
    }
  }
}
