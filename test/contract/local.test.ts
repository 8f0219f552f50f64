import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../electron/engine/engine';
import { createLocalClient } from '../../electron/engine/localClient';
import { recordEngineError } from '../helpers/engine';
import { contractSuite } from './suite';

contractSuite('the in-process client', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'jobdeck-contract-'));
  const engine = Engine.open({ dataDir, killGraceMs: 500, onError: recordEngineError(dataDir) });
  return {
    client: createLocalClient(engine, { actor: 'contract-tester', role: 'superadmin' }),
    async close() {
      await engine.close(0);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
