/** Locks, the audit log and settings in the store: reads and intents (each one transaction). */
import type { AuditEntry } from '../../../shared/model/misc';
import { notFound } from '../../../shared/errors';
import type { NewAudit } from './tables/auditTable';
import type { LockRow } from './tables/locksTable';
import type { Tables, Tx } from './tables';

export type { LockRow, NewAudit };

export class LocksStore {
  constructor(
    private readonly t: Tables,
    private readonly tx: Tx,
  ) {}

  list(): LockRow[] {
    return this.t.locks.list();
  }

  get(name: string): LockRow | undefined {
    return this.t.locks.get(name);
  }

  /** Breaks a lock, auditing who did it and what held it. Returns the lock as it was. */
  break(name: string, actor: string, now: number, extra: Record<string, unknown> = {}): LockRow {
    return this.tx(() => {
      const lock = this.t.locks.get(name);
      if (!lock) throw notFound('lock', name, 'name');
      this.t.locks.break(name);
      this.t.audit.add({
        at: now,
        actor,
        action: 'lock.break',
        targetType: 'lock',
        targetId: name,
        targetName: name,
        jobId: lock.job_id,
        details: { runId: lock.run_id, jobName: lock.job_name, runStatus: lock.run_status, ...extra },
      });
      return lock;
    });
  }

  /** Releases locks whose owning process is gone (whatever became of its run). */
  releaseDead(isAlive: (owner: string) => boolean): number {
    return this.tx(() => {
      let n = 0;
      for (const lock of this.t.locks.list()) {
        if (!isAlive(lock.owner) && this.t.locks.break(lock.name)) n += 1;
      }
      return n;
    });
  }
}

export class AuditStore {
  constructor(private readonly t: Tables) {}

  list(filter: { actor?: string; jobId?: number; limit: number; offset: number }): { items: AuditEntry[]; total: number } {
    return this.t.audit.list(filter);
  }

  /** An action that changes nothing else in the store (a scheduler restart, a script's own entry). */
  record(entry: NewAudit): void {
    this.t.audit.add(entry);
  }
}

export class SettingsStore {
  constructor(
    private readonly t: Tables,
    private readonly tx: Tx,
  ) {}

  get<T>(key: string, fallback: T): T {
    return this.t.settings.get(key, fallback);
  }

  /** Stores a setting, with the audit entry of whoever changed it. */
  set(key: string, value: unknown, audit?: NewAudit): void {
    this.tx(() => {
      this.t.settings.set(key, value);
      if (audit) this.t.audit.add(audit);
    });
  }
}
