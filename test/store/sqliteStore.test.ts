/** The store contract (storeContract.ts) on SQLite: a real file in a temp folder. */
import { join } from 'node:path';
import { Store } from '../../electron/engine/store/store';
import type { AsyncSettingsStore } from '../../electron/engine/store/controlStore';
import { promised } from '../../electron/engine/store/work';
import { tempDir } from '../helpers/temp';
import { FIXTURE } from './fixtureRows';
import { storeContract } from './storeContract';

storeContract('SQLite', async () => {
  const s = Store.open(join(tempDir(), 'jobdeck.db'));
  return {
    store: {
      users: promised(s.users), locks: promised(s.locks), audit: promised(s.audit), settings: promised(s.settings) as AsyncSettingsStore, jobs: promised(s.jobs),
      runs: promised(s.runs),
      tasks: promised(s.tasks),
      logs: promised(s.logs),
      notify: promised(s.notify),
      nodes: promised(s.nodes),
      jobDeletion: promised(s.jobDeletion),
    },
    async addLockedRun(lock, jobName, owner) {
      const jobId = (s.db.prepare(FIXTURE.job).get(jobName) as { id: number }).id;
      const runId = (s.db.prepare(FIXTURE.run).get(jobId, owner) as { id: number }).id;
      s.db.prepare(FIXTURE.lock).run(lock, runId, jobId, owner);
      return { jobId, runId };
    },
    async close() {
      s.close();
    },
  };
});
