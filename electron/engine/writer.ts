/**
 * Write-behind batching for the hot path. Log lines and the changes of
 * running runs are collected and committed as one store intent per batch
 * (SQLite does about 600,000 rows/s batched against 70,000 one per
 * transaction); events go out only after their batch commits, so a
 * subscriber never sees a line or a status that a crash could still take
 * back. Log sequence numbers are given here, per run, in arrival order. A
 * batch that fails to commit (disk full, store busy) is kept whole and
 * tried again: nothing is dropped.
 */
import type { LogLine, LogStream } from '../../shared/model/run';
import type { EventBus } from './eventBus';
import type { BatchResult, RunOp } from './store/runsStore';
import type { PendingLine } from './store/tables/logsTable';
import { STREAM_CODES, STREAM_NAMES } from './store/rows';
import type { EngineStore as Store } from './store/engineStore';

export interface WriterOptions {
  /** Longest a line waits before it is written (ms). */
  flushMs: number;
  /** A batch of this many lines is written at once. */
  maxBatch: number;
  onError(err: unknown): void;
  /** Runs the committed batch's callbacks together (the dispatcher's batch: runs freed together start together). */
  together?(fn: () => void): void;
  /** Runs whose lines a batch committed (other nodes of a shared database hear of them). */
  committedLines?(runIds: Iterable<number>): void;
}

/** A batch this large in bytes is written at once, whatever its line count. */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** Live log events carry at most about this much text each. */
const EVENT_BYTES = 1024 * 1024;
const RETRY_MS = 500;

interface Pending {
  op: RunOp;
  after?: (result: BatchResult) => void;
}

export class Writer {
  private lines: PendingLine[] = [];
  private lineBytes = 0;
  private ops: Pending[] = [];
  private readonly seqs = new Map<number, { seq: number; jobId: number }>();
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private failing = false;
  private closed = false;
  /** The commit in flight (the store answers asynchronously): one at a time, in order. */
  private inFlight: Promise<void> | null = null;
  /** Asked to write while a commit was in flight: write again once it is done. */
  private again = false;
  /** The job of each run with lines waiting (a run may be forgotten before its last lines are published). */
  private lineJobs = new Map<number, number>();

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly options: WriterOptions,
  ) {}

  /** Starts numbering a run's lines after lastSeq. */
  open(runId: number, jobId: number, lastSeq: number): void {
    this.seqs.set(runId, { seq: lastSeq, jobId });
  }

  /** Stops numbering a run (after its final batch is queued). */
  forget(runId: number): void {
    this.seqs.delete(runId);
  }

  lastSeq(runId: number): number | undefined {
    return this.seqs.get(runId)?.seq;
  }

  /** Queues lines of a run (of one of its workflow's tasks); returns the sequence number of the last one. */
  append(runId: number, stream: LogStream, ts: number, texts: readonly string[], task: string | null = null): number {
    const state = this.seqs.get(runId);
    if (!state) throw new Error(`run ${runId} is not open for logging`);
    const code = STREAM_CODES[stream];
    this.lineJobs.set(runId, state.jobId);
    for (const text of texts) {
      this.lines.push({ runId, seq: ++state.seq, ts, stream: code, text, task });
      this.lineBytes += text.length;
    }
    if (this.lines.length >= this.options.maxBatch || this.lineBytes >= MAX_BATCH_BYTES) this.flush();
    else this.schedule();
    return state.seq;
  }

  /**
   * Queues a change, and what to do once it is committed: with the next batch
   * ('batch', within flushMs), at the next turn of the event loop ('now'), or
   * only with whatever is written next ('with-next': a change another one
   * always follows closely, which need not cost a commit of its own).
   */
  op(op: RunOp, after?: (result: BatchResult) => void, when: 'batch' | 'now' | 'with-next' = 'batch'): void {
    this.ops.push(after ? { op, after } : { op });
    if (when === 'now') this.flushSoon();
    else if (when === 'batch') this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.immediate || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.options.flushMs);
  }

  /** Writes at the next turn of the event loop (batches everything queued this turn). */
  flushSoon(): void {
    if (this.immediate || this.closed) return;
    this.immediate = setImmediate(() => {
      this.immediate = null;
      this.flush();
    });
  }

  /** Writes everything queued now (after the commit in flight, if any). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.lines.length === 0 && this.ops.length === 0) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    const lines = this.lines;
    const ops = this.ops;
    const jobs = this.lineJobs;
    this.lines = [];
    this.lineBytes = 0;
    this.ops = [];
    this.lineJobs = new Map();
    this.inFlight = this.commit(lines, ops, jobs).finally(() => {
      this.inFlight = null;
      if (this.again) {
        this.again = false;
        if (!this.failing) this.flush();
      }
    });
  }

  private async commit(lines: PendingLine[], ops: Pending[], jobs: Map<number, number>): Promise<void> {
    let result: BatchResult;
    try {
      result = await this.store.runs.commitBatch(
        lines,
        ops.map((p) => p.op),
      );
      this.failing = false;
    } catch (err) {
      this.requeue(lines, ops, jobs);
      if (!this.failing) this.options.onError(err);
      this.failing = true;
      if (!this.closed && !this.timer) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.flush();
        }, RETRY_MS);
      }
      return;
    }
    if (lines.length > 0 && this.bus.size > 0) this.publishLines(lines, jobs);
    if (lines.length > 0) this.options.committedLines?.(jobs.keys());
    const callbacks = () => {
      for (const p of ops) {
        if (!p.after) continue;
        try {
          p.after(result);
        } catch (err) {
          this.options.onError(err);
        }
      }
    };
    if (this.options.together) this.options.together(callbacks);
    else callbacks();
  }

  /** Puts a batch that failed back in front of what came since, in order. */
  private requeue(lines: PendingLine[], ops: Pending[], jobs: Map<number, number>): void {
    for (const [runId, jobId] of this.lineJobs) jobs.set(runId, jobId);
    this.lineJobs = jobs;
    this.lines = lines.concat(this.lines);
    this.lineBytes = this.lines.reduce((n, l) => n + l.text.length, 0);
    this.ops = ops.concat(this.ops);
  }

  /** Whether anything is waiting to be written. */
  get idle(): boolean {
    return this.lines.length === 0 && this.ops.length === 0 && this.inFlight === null;
  }

  /** Resolves once the commit in flight (if any) is done. */
  settled(): Promise<void> {
    return this.inFlight ?? Promise.resolve();
  }

  private publishLines(lines: PendingLine[], jobs: Map<number, number>): void {
    let start = 0;
    while (start < lines.length) {
      const runId = lines[start]!.runId;
      let end = start + 1;
      let bytes = lines[start]!.text.length;
      while (end < lines.length && lines[end]!.runId === runId && bytes < EVENT_BYTES) bytes += lines[end++]!.text.length;
      if (this.bus.wantsLogs(runId)) {
        const jobId = jobs.get(runId) ?? 0;
        this.bus.publish({ type: 'log', runId, jobId, lines: lines.slice(start, end).map(toLine) });
      }
      start = end;
    }
  }

  /** Writes what is left (trying a failing store a few more times), then stops. */
  async close(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.flush();
    await this.settled();
    while (!this.idle && Date.now() < deadline) {
      if (this.failing) await new Promise((r) => setTimeout(r, RETRY_MS));
      this.flush();
      await this.settled();
    }
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }
}

function toLine(l: PendingLine): LogLine {
  const line: LogLine = { seq: l.seq, ts: new Date(l.ts).toISOString(), stream: STREAM_NAMES[l.stream] ?? 'system', text: l.text };
  if (l.task !== null) line.task = l.task;
  return line;
}
