/**
 * Publishes engine events to subscribers. A run subscription with afterSeq
 * first receives the stored lines after that sequence number (in pages of
 * bounded size, a page per event-loop turn), then the run's current state,
 * then live events, with no gap and no repeat: live lines that arrive while
 * the backlog is read are held and filtered by sequence number.
 */
import { eventMatches, type EngineEvent, type Subscription } from '../../shared/events';
import type { LogLine, Run } from '../../shared/model/run';

export type Listener = (event: EngineEvent) => void;

interface Sub {
  sub: Subscription;
  listener: Listener;
  /** Highest log seq delivered (run subscriptions). */
  seq: number;
  /** Live events held while the backlog is being delivered. */
  held: EngineEvent[] | null;
}

export interface Backlog {
  /** A page of stored lines of a run after a sequence number (bounded in lines and bytes), and whether more follow. */
  logs(runId: number, afterSeq: number): Promise<{ lines: LogLine[]; more: boolean }>;
  /** The run as stored now. */
  run(runId: number): Promise<Run | undefined>;
}

export class EventBus {
  private readonly subs = new Set<Sub>();
  private runSubs = 0;

  constructor(private readonly backlog: Backlog) {}

  /** True when someone listens for something other than log lines of specific runs. */
  get hasGeneralListeners(): boolean {
    return this.subs.size > this.runSubs;
  }

  get size(): number {
    return this.subs.size;
  }

  /** Is anyone subscribed to this run's events? */
  wantsRun(runId: number): boolean {
    if (this.subs.size === 0) return false;
    for (const s of this.subs) if (s.sub.runId === undefined || s.sub.runId === runId) return true;
    return false;
  }

  wantsLogs(runId: number): boolean {
    if (this.runSubs === 0) return false;
    for (const s of this.subs) if (s.sub.runId === runId) return true;
    return false;
  }

  /** The lowest log sequence number a subscriber of this run has (null: nobody follows its log). */
  lowestSeq(runId: number): number | null {
    let low: number | null = null;
    for (const s of this.subs) if (s.sub.runId === runId && (low === null || s.seq < low)) low = s.seq;
    return low;
  }

  /** Runs some subscriber follows by id. */
  followedRuns(): number[] {
    const ids = new Set<number>();
    for (const s of this.subs) if (s.sub.runId !== undefined) ids.add(s.sub.runId);
    return [...ids];
  }

  subscribe(sub: Subscription, listener: Listener): () => void {
    const entry: Sub = { sub, listener, seq: sub.afterSeq ?? 0, held: null };
    this.subs.add(entry);
    if (sub.runId !== undefined) this.runSubs += 1;
    if (sub.runId !== undefined && sub.afterSeq !== undefined) void this.deliverBacklog(entry, sub.runId);
    return () => {
      if (this.subs.delete(entry) && sub.runId !== undefined) this.runSubs -= 1;
    };
  }

  publish(event: EngineEvent): void {
    for (const s of this.subs) {
      if (!eventMatches(s.sub, event)) continue;
      if (s.held) s.held.push(event);
      else this.deliver(s, event);
    }
  }

  private deliver(s: Sub, event: EngineEvent): void {
    if (event.type === 'log') {
      const fresh = event.lines[0] && event.lines[0].seq > s.seq ? event.lines : event.lines.filter((l) => l.seq > s.seq);
      if (fresh.length === 0) return;
      s.seq = fresh[fresh.length - 1]!.seq;
      event = fresh === event.lines ? event : { ...event, lines: fresh };
    }
    try {
      s.listener(event);
    } catch {
      // A failing subscriber must not break publishing to the others.
    }
  }

  /**
   * Sends stored lines after s.seq, a page per event-loop turn (a long
   * backlog must not stall the engine), then releases held live events.
   */
  private async deliverBacklog(s: Sub, runId: number): Promise<void> {
    s.held = [];
    try {
      const first = await this.backlog.run(runId);
      const jobId = first?.jobId ?? 0;
      // Bounded: each page delivers at least one line past s.seq, or ends the replay.
      for (;;) {
        if (!this.subs.has(s)) return;
        const next = await this.backlog.logs(runId, s.seq);
        if (next.lines.length > 0) this.deliver(s, { type: 'log', runId, jobId, lines: next.lines });
        if (!next.more) break;
        await new Promise((r) => setImmediate(r));
      }
      // Where the run is now (a client resuming a finished run learns it finished).
      const now = await this.backlog.run(runId);
      if (now) this.deliver(s, { type: 'run', run: now });
    } catch {
      // The store went away (shutdown): stop replaying.
    }
    const held = s.held ?? [];
    s.held = null;
    for (const event of held) this.deliver(s, event);
  }
}
