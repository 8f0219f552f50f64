/**
 * Live events across the nodes of a shared database. Each node announces
 * the runs whose state or log it committed (gathered for a moment, a few
 * hundred per message); the other nodes read each announced run that one
 * of their own subscribers follows, and publish it on their bus: its new
 * log lines (the bus drops the ones a subscriber already has) and its
 * state, and, for a workflow run, the task runs that changed since this
 * node last published them. A console connected to any node so follows
 * runs executing on every node, and resumes as it does on one.
 */
import type { EventBus } from './eventBus';
import type { Logger } from './logger';
import type { EngineStore } from './store/engineStore';
import { toLogLine, toRun } from './store/rows';
import { toTaskRun } from './store/taskRows';

/** The database's event channel (PostgreSQL's LISTEN/NOTIFY: store/postgres/pgEvents.ts). */
export interface EventChannel {
  publish(payload: string): Promise<void>;
  listen(onPayload: (payload: string) => void, onGap: () => void, onProblem: (message: string) => void): Promise<void>;
}

/** How long announcements gather before they go out (ms). */
const GATHER_MS = 20;
/** Run ids per message: well under PostgreSQL's 8000-byte payload. */
const IDS_PER_MESSAGE = 400;
/** Run ids read from one message, whatever it holds. */
const MAX_IDS_READ = 1000;
/** Log pages read for one announcement (each at most REPLAY lines and bytes); later lines come with the next one. */
const MAX_PAGES = 10;
const PAGE_LINES = 5000;
const PAGE_BYTES = 1024 * 1024;
/** Workflow runs whose last published task states are kept (the oldest forgotten first: its next event then carries every task). */
const TASK_MEMORY_RUNS = 1000;

export interface RelayDeps {
  channel: EventChannel;
  bus: EventBus;
  store: EngineStore;
  /** This node's id: its own announcements are not read back. */
  owner: string;
  logger: Logger;
  onError(err: unknown): void;
}

export class ClusterRelay {
  private readonly pending = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  /** Reads of one run happen one after another, so its events go out in order. */
  private readonly reading = new Map<number, Promise<void>>();
  private closed = false;
  private readonly sending = new Set<Promise<void>>();
  /** Per workflow run followed here: each task's last published state (as text), to publish only changes. */
  private readonly publishedTasks = new Map<number, Map<string, string>>();

  constructor(private readonly deps: RelayDeps) {}

  start(): Promise<void> {
    return this.deps.channel.listen(
      (payload) => this.received(payload),
      // Announcements sent while the connection was down are lost: read every followed run afresh.
      () => {
        for (const runId of this.deps.bus.followedRuns()) this.read(runId);
      },
      (message) => this.deps.logger.warn(message),
    );
  }

  /** A run of this node changed (committed): the other nodes hear of it. */
  changed(runId: number): void {
    if (this.closed) return;
    this.pending.add(runId);
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), GATHER_MS);
    this.timer.unref();
  }

  private flush(): void {
    this.timer = null;
    const ids = [...this.pending];
    this.pending.clear();
    for (let i = 0; i < ids.length; i += IDS_PER_MESSAGE) {
      const payload = JSON.stringify({ from: this.deps.owner, runs: ids.slice(i, i + IDS_PER_MESSAGE) });
      const sent: Promise<void> = this.deps.channel
        .publish(payload)
        .catch((err: unknown) => {
          if (!this.closed && this.deps.store.isOpen) this.deps.onError(err);
        })
        .finally(() => this.sending.delete(sent));
      this.sending.add(sent);
    }
  }

  private received(payload: string): void {
    if (this.closed) return;
    let msg: { from?: unknown; runs?: unknown };
    try {
      msg = JSON.parse(payload) as typeof msg;
    } catch {
      return; // not ours
    }
    if (!msg || msg.from === this.deps.owner || !Array.isArray(msg.runs)) return;
    const { bus } = this.deps;
    for (const id of msg.runs.slice(0, MAX_IDS_READ)) {
      if (Number.isSafeInteger(id) && (bus.wantsRun(id as number) || bus.wantsLogs(id as number))) this.read(id as number);
    }
  }

  private read(runId: number): void {
    const before = this.reading.get(runId) ?? Promise.resolve();
    const next = before
      .then(() => this.publishRun(runId))
      .catch((err: unknown) => {
        if (!this.closed && this.deps.store.isOpen) this.deps.onError(err);
      })
      .finally(() => {
        if (this.reading.get(runId) === next) this.reading.delete(runId);
      });
    this.reading.set(runId, next);
  }

  private async publishRun(runId: number): Promise<void> {
    const { bus, store } = this.deps;
    const row = await store.runs.get(runId);
    if (!row || this.closed) return;
    let after = bus.lowestSeq(runId);
    for (let page = 0; after !== null && page < MAX_PAGES; page++) {
      const rows = await store.logs.page(runId, after, PAGE_LINES, PAGE_BYTES);
      if (rows.length === 0 || this.closed) break;
      bus.publish({ type: 'log', runId, jobId: row.job_id, lines: rows.map(toLogLine) });
      after = rows[rows.length - 1]!.seq;
    }
    // Its state after its lines (read again: it may have ended while they were read), and a workflow run's tasks read
    // after that: a run seen finished has its tasks' final states committed, so they go out before its end does.
    const now = await store.runs.get(runId);
    if (row.tasks !== null && bus.wantsLogs(runId)) await this.publishTasks(runId, row.job_id);
    if (now && !this.closed) bus.publish({ type: 'run', run: toRun(now) });
    if (!now || now.finished_at !== null) this.publishedTasks.delete(runId);
  }

  /** A workflow run's task runs that changed since they were last published here. */
  private async publishTasks(runId: number, jobId: number): Promise<void> {
    const list = await this.deps.store.tasks.list(runId);
    if (this.closed) return;
    let seen = this.publishedTasks.get(runId);
    if (!seen) {
      if (this.publishedTasks.size >= TASK_MEMORY_RUNS) this.publishedTasks.delete(this.publishedTasks.keys().next().value!);
      seen = new Map();
      this.publishedTasks.set(runId, seen);
    }
    const now = Date.now();
    const changed = list.filter((t) => {
      const text = JSON.stringify(t);
      if (seen.get(t.path) === text) return false;
      seen.set(t.path, text);
      return true;
    });
    if (changed.length) this.deps.bus.publish({ type: 'tasks', runId, jobId, tasks: changed.map((t) => toTaskRun(t, now)) });
  }

  /** Sends what is gathered (the last runs' ends), then reads and sends nothing more. */
  async close(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.flush();
    }
    this.closed = true;
    await Promise.all([...this.sending]);
  }
}
