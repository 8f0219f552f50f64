/**
 * The contract suite (../contract/suite.ts) against an engine whose store is
 * PostgreSQL: the same product on top of either store. A throwaway server,
 * a fresh database per test; the engine's background errors fail the test.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { createLocalClient } from '../../electron/engine/localClient';
import { contractSuite } from '../contract/suite';
import { recordEngineError } from '../helpers/engine';
import { postgresMissing, startPostgres, type TestPostgres } from '../helpers/postgres';
import { tempDir } from '../helpers/temp';

const missing = postgresMissing();

describe.skipIf(missing)(`an engine on PostgreSQL${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => server?.stop());

  contractSuite('the in-process client, on PostgreSQL', async () => {
    const dataDir = tempDir();
    const engine = await Engine.connect({ dataDir, database: await server.createDatabase(), killGraceMs: 500, onError: recordEngineError(dataDir) });
    return {
      client: createLocalClient(engine, { actor: 'contract-tester', role: 'superadmin' }),
      async close() {
        await engine.close(0);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  });
});
