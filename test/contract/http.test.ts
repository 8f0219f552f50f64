import { startTestServer } from '../helpers/server';
import { contractSuite } from './suite';

contractSuite('HTTP and WebSocket', async () => {
  const t = await startTestServer();
  const client = t.client('superadmin');
  return {
    client,
    async close() {
      client.close?.();
      await t.server.close(0);
    },
  };
});
