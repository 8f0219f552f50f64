/**
 * The job list for 10,000 jobs in a few milliseconds: summaries are built
 * once per job revision and kept; each listing reads only the order and the
 * fields that move without a new revision (next run, last run).
 */
import { iso } from '../../shared/dates';
import type { JobSummary } from '../../shared/model/job';
import type { JobListFilter } from './store/jobsStore';
import { toJobSummary } from './store/rows';
import type { EngineStore as Store } from './store/engineStore';

const CHUNK = 500;

interface Entry {
  revision: number;
  summary: JobSummary;
  /** The last next-run and last-run values turned into text, reused while they do not move. */
  next: number | null;
  nextIso: string | null;
  lastAt: number | null;
  lastIso: string | null;
  lastId: number | null;
  lastStatus: string | null;
  /**
   * The listed item while none of its moving fields moved: handed out as it is
   * (frozen, since every listing shares it), so listing 10,000 unchanged jobs
   * copies none of them (copying was half of jobs.list's time).
   */
  item: JobSummary | null;
}

export class JobSummaries {
  /** One entry per job listed (a deleted job's is forgotten, so this stays the size of the job table). */
  private readonly cache = new Map<number, Entry>();

  constructor(private readonly store: Store) {}

  /**
   * Builds every summary in the background, a chunk per event-loop turn, so
   * the first listing after start-up is as quick as the next ones.
   */
  warm(isClosed: () => boolean, onError: (err: unknown) => void): void {
    // Even the ids are read a page per turn: start-up reads none of them.
    let after = 0;
    const step = async (): Promise<void> => {
      if (isClosed()) return;
      try {
        const page = await this.store.jobs.revisions(after, CHUNK);
        if (page.length === 0) return;
        after = page[page.length - 1]![0];
        const chunk = page.filter(([id, revision]) => this.cache.get(id)?.revision !== revision);
        if (chunk.length) await this.load(chunk.map(([id]) => id));
      } catch (err) {
        // A warm-up is only a head start: stop it, and let listings load what they need.
        if (!isClosed()) onError(err);
        return;
      }
      setImmediate(() => void step());
    };
    setImmediate(() => void step());
  }

  private async load(ids: number[]): Promise<void> {
    for (const row of await this.store.jobs.summaries(ids)) {
      const summary = toJobSummary(row);
      this.cache.set(row.id, {
        revision: row.revision,
        summary,
        next: row.next_fire_at,
        nextIso: summary.nextRunAt,
        lastAt: row.last_run_at,
        lastIso: iso(row.last_run_at),
        lastId: null,
        lastStatus: null,
        item: null,
      });
    }
  }

  forget(jobId: number): void {
    this.cache.delete(jobId);
  }

  async list(filter: JobListFilter): Promise<{ items: JobSummary[]; total: number }> {
    const { rows, total } = await this.store.jobs.listKeys(filter);
    const stale: number[] = [];
    for (const [id, revision] of rows) if (this.cache.get(id)?.revision !== revision) stale.push(id);
    for (let i = 0; i < stale.length; i += CHUNK) await this.load(stale.slice(i, i + CHUNK));
    const items: JobSummary[] = [];
    for (const [id, , nextFireAt, lastRunId, lastStatus, lastRunAt] of rows) {
      const e = this.cache.get(id);
      if (!e) continue; // deleted between the two reads
      if (e.next !== nextFireAt) {
        e.next = nextFireAt;
        e.nextIso = iso(nextFireAt);
        e.item = null;
      }
      if (e.lastAt !== lastRunAt) {
        e.lastAt = lastRunAt;
        e.lastIso = iso(lastRunAt);
        e.item = null;
      }
      if (e.lastId !== lastRunId || e.lastStatus !== lastStatus) {
        e.lastId = lastRunId;
        e.lastStatus = lastStatus;
        e.item = null;
      }
      e.item ??= Object.freeze({
        ...e.summary,
        nextRunAt: e.nextIso,
        lastRun: lastRunId !== null && lastStatus !== null && e.lastIso !== null ? Object.freeze({ id: lastRunId, status: lastStatus, at: e.lastIso }) : null,
      });
      items.push(e.item);
    }
    return { items, total };
  }
}
