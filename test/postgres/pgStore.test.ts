/** The store contract (../store/storeContract.ts) on PostgreSQL: a throwaway server, a fresh database per test. */
import { afterAll, beforeAll, describe } from 'vitest';
import { PgStore } from '../../electron/engine/store/postgres/pgStore';
import { numberPlaceholders } from '../../electron/engine/store/work';
import { postgresMissing, startPostgres, type TestPostgres } from '../helpers/postgres';
import { FIXTURE } from '../store/fixtureRows';
import { storeContract } from '../store/storeContract';

const missing = postgresMissing();

describe.skipIf(missing)(`PostgreSQL store${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => server?.stop());

  storeContract('PostgreSQL', async () => {
    const s = await PgStore.open(await server.createDatabase());
    const one = async (text: string, values: unknown[]) => (await s.steps.pool.query(numberPlaceholders(text), values)).rows[0] as { id: number } | undefined;
    return {
      store: s,
      async addLockedRun(lock, jobName, owner) {
        const jobId = (await one(FIXTURE.job, [jobName]))!.id;
        const runId = (await one(FIXTURE.run, [jobId, owner]))!.id;
        await one(FIXTURE.lock, [lock, runId, jobId, owner]);
        return { jobId, runId };
      },
      close: () => s.close(),
    };
  });
});
