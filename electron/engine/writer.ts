/**
 * Write-behind batching for the hot path. Log lines and small run updates
 * are collected and written in one transaction per batch (SQLite does about
 * 600,000 rows/s batched against 70,000 one per transaction); events go out
 * only after their batch commits, so a subscriber never sees a line or a
 * status that a crash could still take back. Log sequence numbers are given
 * here, per run, in arrival order.
 */
import type { LogLine, LogStream } from '../../shared/model/run';
import type { EventBus } from './eventBus';
import type { PendingLine } from './store/logsRepo';
import { STREAM_CODES, STREAM_NAMES } from './store/rows';
import type { Store } from './store/store';

export interface WriterOptions {
  /** Longest a line waits before it is written (ms). */
  flushMs?: number;
  /** A batch this big is written at once. */
  maxBatch?: number;
}

interface Op {
  apply: () => void;
  after?: () => void;
}

export class Writer {
  private lines: PendingLine[] = [];
  private ops: Op[] = [];
  private readonly seqs = new Map<number, { seq: number; jobId: number }>();
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private failing = false;
  private readonly flushMs: number;
  private readonly maxBatch: number;
  closed = false;

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly onError: (err: unknown) => void,
    options: WriterOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 25;
    this.maxBatch = options.maxBatch ?? 4000;
  }

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

  /** Queues lines of a run; returns the sequence number of the last one. */
  append(runId: number, stream: LogStream, ts: number, texts: readonly string[]): number {
    const state = this.seqs.get(runId);
    if (!state) throw new Error(`run ${runId} is not open for logging`);
    const code = STREAM_CODES[stream];
    for (const text of texts) this.lines.push({ runId, seq: ++state.seq, ts, stream: code, text });
    if (this.lines.length >= this.maxBatch) this.flush();
    else this.schedule();
    return state.seq;
  }

  /** Queues a store change to run in the next batch, and what to do once it is committed. */
  op(apply: () => void, after?: () => void, urgent = false): void {
    this.ops.push(after ? { apply, after } : { apply });
    if (urgent) this.flushSoon();
    else this.schedule();
  }

  /** Lines of a run still waiting to be written, after a sequence number. */
  pending(runId: number, afterSeq: number): LogLine[] {
    const out: LogLine[] = [];
    for (const l of this.lines) {
      if (l.runId === runId && l.seq > afterSeq) out.push(toLine(l));
    }
    return out;
  }

  private schedule(): void {
    if (this.timer || this.immediate || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.flushMs);
  }

  /** Writes at the next turn of the event loop (batches everything queued this turn). */
  flushSoon(): void {
    if (this.immediate) return;
    this.immediate = setImmediate(() => {
      this.immediate = null;
      this.flush();
    });
  }

  /** Writes everything queued now. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.lines.length === 0 && this.ops.length === 0) return;
    const lines = this.lines;
    const ops = this.ops;
    this.lines = [];
    this.ops = [];
    try {
      this.store.tx(() => {
        this.store.logs.insertMany(lines);
        for (const op of ops) op.apply();
      });
      this.failing = false;
    } catch (err) {
      // Keep everything for the next attempt (disk full, store busy): nothing is dropped.
      this.lines = lines.concat(this.lines);
      this.ops = ops.concat(this.ops);
      if (!this.failing) this.onError(err);
      this.failing = true;
      if (!this.closed && !this.timer) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.flush();
        }, 500);
      }
      return;
    }
    if (lines.length > 0 && this.bus.size > 0) this.publishLines(lines);
    for (const op of ops) {
      if (op.after) {
        try {
          op.after();
        } catch (err) {
          this.onError(err);
        }
      }
    }
  }

  private publishLines(lines: PendingLine[]): void {
    let start = 0;
    while (start < lines.length) {
      const runId = lines[start]!.runId;
      let end = start + 1;
      while (end < lines.length && lines[end]!.runId === runId) end++;
      if (this.bus.wantsLogs(runId)) {
        const jobId = this.seqs.get(runId)?.jobId ?? this.store.runs.get(runId)?.job_id ?? 0;
        this.bus.publish({ type: 'log', runId, jobId, lines: lines.slice(start, end).map(toLine) });
      }
      start = end;
    }
  }

  close(): void {
    this.flush();
    this.closed = true;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = null;
  }
}

function toLine(l: PendingLine): LogLine {
  return { seq: l.seq, ts: new Date(l.ts).toISOString(), stream: STREAM_NAMES[l.stream] ?? 'system', text: l.text };
}
