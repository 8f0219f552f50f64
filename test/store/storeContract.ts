/**
 * The store contract: what every backend's store does, through the
 * asynchronous interface both share (the SQLite store's parts seen through
 * `promised`, the PostgreSQL store's as they are). It covers the parts
 * written once for both backends (store/work.ts): users, tokens and
 * sessions, locks, the audit log, settings. sqliteStore.test.ts and
 * postgres/pgStore.test.ts run it.
 */
import { describe, expect, it } from 'vitest';
import type { JobdeckError } from '../../shared/errors';
import type { AsyncSettingsStore, AuditStore, LocksStore } from '../../electron/engine/store/controlStore';
import type { JobDeletion } from '../../electron/engine/store/jobDeletion';
import type { JobsStore } from '../../electron/engine/store/jobsStore';
import type { LogsStore } from '../../electron/engine/store/logsStore';
import type { NodesStore } from '../../electron/engine/store/nodesStore';
import type { NotifyStore } from '../../electron/engine/store/notifyStore';
import type { RunsStore } from '../../electron/engine/store/runsStore';
import type { TasksStore } from '../../electron/engine/store/tasksStore';
import type { UsersStore } from '../../electron/engine/store/usersStore';
import type { Promised } from '../../electron/engine/store/work';
import { jobsContract } from './jobsContract';
import { refusal } from './refusal';
import { nodesContract } from './nodesContract';
import { concurrencyContract, runsContract } from './runsContract';
import { firesContract } from './firesContract';

/** The parts under contract, as both backends offer them (the SQLite store's seen through `promised`). */
export interface ContractStore {
  users: Promised<UsersStore>;
  locks: Promised<LocksStore>;
  audit: Promised<AuditStore>;
  settings: AsyncSettingsStore;
  jobs: Promised<JobsStore>;
  runs: Promised<RunsStore>;
  tasks: Promised<TasksStore>;
  logs: Promised<LogsStore>;
  notify: Promised<NotifyStore>;
  nodes: Promised<NodesStore>;
  jobDeletion: Promised<JobDeletion>;
}

export interface ContractBackend {
  store: ContractStore;
  /** Test fixtures only: a job, a run of it and a lock it holds, written as rows (the runs' intents are not under this contract yet). */
  addLockedRun(lock: string, jobName: string, owner: string): Promise<{ jobId: number; runId: number }>;
  close(): Promise<void>;
}


/** A test body given a fresh store, closed after it. */
export const withStoreOf =
  (open: () => Promise<ContractBackend>) =>
  (fn: (b: ContractBackend) => Promise<void>) =>
  async () => {
    const b = await open();
    try {
      await fn(b);
    } finally {
      await b.close();
    }
  };

export function storeContract(backend: string, open: () => Promise<ContractBackend>): void {
  const withStore = withStoreOf(open);
  jobsContract(backend, withStore);
  runsContract(backend, withStore);
  firesContract(backend, withStore);
  concurrencyContract(backend, withStore);
  nodesContract(backend, withStore);

  describe(`store contract: ${backend}`, () => {
    it(
      'users: names match without ASCII case, are unique that way, and list in that order; each change is audited',
      withStore(async ({ store }) => {
        const { user, token } = await store.users.add('Ada', 'admin', 'root', 1000);
        expect(user).toMatchObject({ name: 'Ada', role: 'admin', createdAt: new Date(1000).toISOString() });
        expect(user.tokens).toHaveLength(1);
        expect(token).toMatch(/^jd_/);
        expect((await store.users.get('ADA'))?.name).toBe('Ada');
        const taken = await refusal(store.users.add('ada', 'viewer', 'root', 1001));
        expect([taken.code, taken.message, taken.field]).toEqual(['NAME_TAKEN', 'a user named "ada" already exists', 'name']);
        await store.users.add('bob', 'viewer', 'root', 1002);
        await store.users.add('Carol', 'superadmin', 'root', 1003);
        // Non-ASCII letters are not folded (as SQLite's NOCASE): these are two users.
        await store.users.add('Ünal', 'viewer', 'root', 1004);
        await store.users.add('ünal', 'viewer', 'root', 1005);
        expect((await store.users.list()).map((u) => u.name)).toEqual(['Ada', 'bob', 'Carol', 'Ünal', 'ünal']);
        expect(await store.users.count()).toBe(5);

        await store.users.remove('BOB', 'root', 1006);
        expect(await store.users.get('bob')).toBeUndefined();
        const gone = await refusal(store.users.remove('bob', 'root', 1007));
        expect([gone.code, gone.field]).toEqual(['NOT_FOUND', 'name']);
        const audit = await store.audit.list({ actor: 'ROOT', limit: 3, offset: 0 });
        expect(audit.total).toBe(6);
        expect(audit.items.map((e) => `${e.action} ${e.targetName}`)).toEqual(['user.remove BOB', 'user.add ünal', 'user.add Ünal']);
      }),
    );

    it(
      'tokens: a valid token signs in (its use recorded once a minute), an expired or revoked one does not, a user gone takes its tokens',
      withStore(async ({ store }) => {
        const { token } = await store.users.add('Ada', 'viewer', 'root', 1000);
        // Signing in reads only; it says when the use is to be recorded (never recorded, or over a minute ago).
        const first = await store.users.authenticate(token, 2000);
        expect(first).toMatchObject({ name: 'Ada', role: 'viewer', expiresAt: null, useToRecord: true });
        expect((await store.users.get('ada'))!.tokens[0]!.lastUsedAt).toBeNull();
        await store.users.markTokenUsed(first!.tokenId, 2000);
        expect((await store.users.get('ada'))!.tokens[0]!.lastUsedAt).toBe(new Date(2000).toISOString());
        expect((await store.users.authenticate(token, 50_000))!.useToRecord).toBe(false);
        expect((await store.users.authenticate(token, 70_000))!.useToRecord).toBe(true);
        expect(await store.users.authenticate(`${token}x`, 2000)).toBeUndefined();

        // Named in another case: stored under the user's own spelling.
        const second = await store.users.createToken('ADA', 'root', 3000, 10_000);
        expect(await store.users.tokenOwner(second.id)).toBe('Ada');
        expect(await store.users.authenticate(second.token, 9_999)).toMatchObject({ tokenId: second.id, expiresAt: 10_000 });
        expect(await store.users.authenticate(second.token, 10_000)).toBeUndefined();
        const nobody = await refusal(store.users.createToken('nobody', 'root', 3000));
        expect([nobody.code, nobody.field]).toEqual(['NOT_FOUND', 'name']);

        await store.users.revokeToken(first!.tokenId, 'root', 4000);
        expect(await store.users.authenticate(token, 4001)).toBeUndefined();
        const again = await refusal(store.users.revokeToken(first!.tokenId, 'root', 4002));
        expect([again.code, again.message]).toEqual(['INVALID_STATE', `token ${first!.tokenId} is already revoked`]);
        expect((await refusal(store.users.revokeToken('nope', 'root', 4003))).code).toBe('NOT_FOUND');
        expect((await store.audit.list({ limit: 1, offset: 0 })).items[0]).toMatchObject({ action: 'token.revoke', targetId: first!.tokenId, targetName: 'Ada' });

        await store.users.remove('Ada', 'root', 5000);
        expect(await store.users.tokenOwner(second.id)).toBeUndefined();
        expect(await store.users.authenticate(second.token, 5001)).toBeUndefined();
      }),
    );

    it(
      'sessions: last until the earlier of their own and their token\'s expiry, end at sign-out and with their token; expired ones are swept',
      withStore(async ({ store }) => {
        await store.users.add('Ada', 'admin', 'root', 1000);
        const { id: tokenId } = await store.users.createToken('Ada', 'root', 1000, 50_000);
        const session = await store.users.startSession(tokenId, 2000, 30_000);
        expect(await store.users.authenticateSession(session, 2500)).toEqual({ name: 'Ada', role: 'admin', tokenId, expiresAt: 30_000 });
        expect(await store.users.authenticateSession(session, 30_000)).toBeUndefined();
        const long = await store.users.startSession(tokenId, 31_000, 90_000);
        expect((await store.users.authenticateSession(long, 32_000))?.expiresAt).toBe(50_000);
        expect(await store.users.endSession(long)).toBe(true);
        expect(await store.users.endSession(long)).toBe(false);
        const third = await store.users.startSession(tokenId, 33_000, 40_000);
        await store.users.revokeToken(tokenId, 'root', 34_000);
        expect(await store.users.authenticateSession(third, 34_001)).toBeUndefined();
        expect(await store.users.endSession(third)).toBe(false);
      }),
    );

    it(
      'locks: listed in name order with their job and run, broken with an audit entry, released when their owner is gone',
      withStore(async ({ store, addLockedRun }) => {
        const media = await addLockedRun('media', 'encode', 'node-a');
        await addLockedRun('backup', 'dump', 'node-b');
        expect((await store.locks.list()).map((l) => `${l.name} ${l.job_name} ${l.owner} ${l.run_status}`)).toEqual(['backup dump node-b IN_PROGRESS', 'media encode node-a IN_PROGRESS']);
        expect(await store.locks.get('media')).toMatchObject({ run_id: media.runId, job_id: media.jobId, acquired_at: 500 });
        const broken = await store.locks.break('media', 'root', 7000, { force: true });
        expect(broken.name).toBe('media');
        expect(await store.locks.get('media')).toBeUndefined();
        expect((await store.audit.list({ jobId: media.jobId, limit: 5, offset: 0 })).items).toEqual([
          expect.objectContaining({ action: 'lock.break', actor: 'root', targetId: 'media', details: { runId: media.runId, jobName: 'encode', runStatus: 'IN_PROGRESS', force: true } }),
        ]);
        const missing = await refusal(store.locks.break('media', 'root', 7001));
        expect([missing.code, missing.field]).toEqual(['NOT_FOUND', 'name']);
        expect(await store.locks.releaseDead((owner) => owner !== 'node-b')).toBe(1);
        expect(await store.locks.list()).toEqual([]);
      }),
    );

    it(
      'settings and the audit log: JSON values kept as given, a fallback for what is not set; audit pages newest first with totals',
      withStore(async ({ store }) => {
        expect(await store.settings.get('scheduler.paused', false)).toBe(false);
        await store.settings.set('scheduler.paused', true, { actor: 'Root', action: 'scheduler.pause', targetType: 'scheduler', at: 10 });
        await store.settings.set('smtp', { host: 'mail.example.test', port: 587, tls: null, tags: ['a', 'ü'] });
        expect(await store.settings.get('scheduler.paused', false)).toBe(true);
        expect(await store.settings.get('smtp', null)).toEqual({ host: 'mail.example.test', port: 587, tls: null, tags: ['a', 'ü'] });
        for (let i = 0; i < 5; i++) await store.audit.record({ actor: i % 2 ? 'root' : 'ada', action: 'job.update', targetType: 'job', targetId: i, jobId: 7, at: 100 + i, details: { i } });
        const page = await store.audit.list({ jobId: 7, limit: 2, offset: 1 });
        expect(page.total).toBe(5);
        expect(page.items.map((e) => e.details)).toEqual([{ i: 3 }, { i: 2 }]);
        expect(page.items[0]).toMatchObject({ targetType: 'job', targetId: '3', targetName: null, at: new Date(103).toISOString() });
        const root = await store.audit.list({ actor: 'root', limit: 10, offset: 0 });
        expect(root.items.map((e) => e.action)).toEqual(['job.update', 'job.update', 'scheduler.pause']);
      }),
    );

    it(
      'users added at the same moment under one name: exactly one is added, the others are told the name is taken',
      withStore(async ({ store }) => {
        const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => store.users.add(i % 2 ? 'Dana' : 'DANA', 'viewer', 'root', 1000 + i)));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect((r.reason as JobdeckError).code).toBe('NAME_TAKEN');
        expect(await store.users.count()).toBe(1);
        expect((await store.audit.list({ limit: 10, offset: 0 })).total).toBe(1);
      }),
    );
  });
}
