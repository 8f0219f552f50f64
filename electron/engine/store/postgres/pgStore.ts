/**
 * The PostgreSQL store: the parts of the store written for both backends
 * (../work.ts), each intent one transaction on PostgreSQL, each read none
 * (the dashboard one snapshot: see pgSteps.ts). It grows part by
 * part as the store's intents are written that way; the SQLite store
 * (../store.ts) performs the same work synchronously.
 */
import { auditPart, locksPart, settingsPart, type AsyncSettingsStore } from '../controlStore';
import { dashboardPart } from '../dashboardStore';
import { jobDeletionPart } from '../jobDeletion';
import { jobsPart } from '../jobsStore';
import { nodesPart } from '../nodesStore';
import { notifyPart } from '../notifyStore';
import { runsPart } from '../runsStore';
import { logsPart } from '../logsStore';
import { tasksPart } from '../tasksStore';
import { usersPart } from '../usersStore';
import { connectPostgres, describePgError, migratePostgres } from './pgDatabase';
import { PgSteps, pgPart } from './pgSteps';
import type { EngineStore } from '../engineStore';
import { PgEvents } from './pgEvents';

export class PgStore implements EngineStore {
  readonly backend = 'postgres' as const;
  private closed = false;
  readonly users;
  readonly locks;
  readonly audit;
  readonly settings: AsyncSettingsStore;
  readonly jobs;
  readonly runs;
  readonly tasks;
  readonly logs;
  readonly notify;
  readonly nodes;
  readonly jobDeletion;
  readonly dashboard;

  /** The nodes' event channel (LISTEN/NOTIFY). */
  readonly events: PgEvents;

  private constructor(
    readonly steps: PgSteps,
    url: string,
  ) {
    this.events = new PgEvents(url, steps.pool);
    this.users = pgPart(steps, usersPart);
    this.locks = pgPart(steps, locksPart);
    this.audit = pgPart(steps, auditPart);
    this.settings = pgPart(steps, settingsPart) as AsyncSettingsStore;
    this.jobs = pgPart(steps, jobsPart);
    this.runs = pgPart(steps, runsPart);
    this.tasks = pgPart(steps, tasksPart);
    this.logs = pgPart(steps, logsPart);
    this.notify = pgPart(steps, notifyPart);
    this.nodes = pgPart(steps, nodesPart);
    this.jobDeletion = pgPart(steps, jobDeletionPart);
    // The dashboard's counts agree with each other: its statements share one snapshot.
    this.dashboard = { dashboard: (now: number) => steps.perform(() => dashboardPart.reads.dashboard(now), { transaction: 'snapshot' }) };
  }

  /** Connects, brings the schema up to date (under the schema's advisory lock) and opens a pool. */
  static async open(url: string, options: { max?: number; now?: number } = {}): Promise<PgStore> {
    const client = await connectPostgres(url);
    try {
      await client.query('BEGIN');
      await migratePostgres(client, options.now ?? Date.now());
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw describePgError(url, err);
    } finally {
      await client.end().catch(() => {});
    }
    return new PgStore(PgSteps.create(url, { max: options.max }), url);
  }

  /** Nodes look for other nodes' changes on every poll: PostgreSQL has no cheap commit counter. */
  externalVersion(): null {
    return null;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.events.close();
    await this.steps.close();
  }
}
