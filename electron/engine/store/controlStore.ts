/** Locks, the audit log and settings in the store: reads and intents (each one transaction), for both backends. */
import type { AuditEntry } from '../../../shared/model/misc';
import { notFound } from '../../../shared/errors';
import { auditTable, type AuditFilter, type NewAudit } from './tables/auditTable';
import { locksTable, type LockRow } from './tables/locksTable';
import { settingsTable } from './tables/settingsTable';
import type { Performed, StorePart, Work } from './work';

export type { LockRow, NewAudit };

const lockWrites = {
  /** Breaks a lock, auditing who did it and what held it. Returns the lock as it was. */
  *break(name: string, actor: string, now: number, extra: Record<string, unknown> = {}): Work<LockRow> {
    const lock = yield* locksTable.get(name);
    if (!lock) throw notFound('lock', name, 'name');
    yield* locksTable.break(name);
    yield* auditTable.add({
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
  },

  /** Releases locks whose owning process is gone (whatever became of its run). */
  *releaseDead(isAlive: (owner: string) => boolean): Work<number> {
    let n = 0;
    for (const lock of yield* locksTable.list()) {
      if (!isAlive(lock.owner) && (yield* locksTable.break(lock.name))) n += 1;
    }
    return n;
  },
};

export const locksPart: StorePart<{ list: typeof locksTable.list; get: typeof locksTable.get }, typeof lockWrites> = {
  reads: { list: locksTable.list, get: locksTable.get },
  writes: lockWrites,
};
export type LocksStore = Performed<typeof locksPart.reads> & Performed<typeof lockWrites>;

export const auditPart: StorePart<{ list: (filter: AuditFilter) => Work<{ items: AuditEntry[]; total: number }> }, { record: (entry: NewAudit) => Work<void> }> = {
  reads: { list: auditTable.list },
  /** An action that changes nothing else in the store (a scheduler restart, a script's own entry). */
  writes: { record: auditTable.add },
};
export type AuditStore = Performed<typeof auditPart.reads> & Performed<typeof auditPart.writes>;

export const settingsPart = {
  reads: { get: settingsTable.get },
  writes: {
    /** Stores a setting, with the audit entry of whoever changed it. */
    *set(key: string, value: unknown, audit?: NewAudit): Work<void> {
      yield* settingsTable.set(key, value);
      if (audit) yield* auditTable.add(audit);
    },
    replaceIf: settingsTable.replaceIf,
    claim: settingsTable.claim,
  },
};

/** Settings keep their value's type at the call (a generic the mapped types cannot carry). */
export interface SettingsStore {
  get<T>(key: string, fallback: T): T;
  set(key: string, value: unknown, audit?: NewAudit): void;
  replaceIf(key: string, expected: unknown, value: unknown): boolean;
  claim<T>(key: string, value: T): T;
}
export interface AsyncSettingsStore {
  get<T>(key: string, fallback: T): Promise<T>;
  set(key: string, value: unknown, audit?: NewAudit): Promise<void>;
  claim<T>(key: string, value: T): Promise<T>;
  replaceIf(key: string, expected: unknown, value: unknown): Promise<boolean>;
}
