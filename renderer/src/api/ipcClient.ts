/**
 * The contract client over the desktop app's preload bridge. Same interface
 * as the HTTP client, so the console cannot tell the transports apart.
 */
import type { ConnectionState, JobdeckClient, SubscribeHandlers } from '../../../shared/client/client';
import { unwrap } from '../../../shared/client/client';
import type { Input, MethodName, Output } from '../../../shared/contract';
import type { JobdeckBridge } from '../../../shared/ipc';

export function createIpcClient(bridge: JobdeckBridge, target = 'desktop'): JobdeckClient {
  const handlers = new Map<string, SubscribeHandlers>();
  let nextId = 1;
  const offEvent = bridge.onEvent((id, event) => handlers.get(id)?.onEvent(event));
  const offConnection = bridge.onConnection((info) => {
    for (const h of handlers.values()) h.onState?.(info.state as ConnectionState, info.error);
  });
  return {
    target,
    async call<M extends MethodName>(method: M, input: Input<M>): Promise<Output<M>> {
      return unwrap(await bridge.call(method, input ?? {})) as Output<M>;
    },
    subscribe(sub, h) {
      const id = `r${nextId++}`;
      handlers.set(id, h);
      bridge.subscribe(id, sub);
      h.onState?.('open');
      return () => {
        if (handlers.delete(id)) bridge.unsubscribe(id);
      };
    },
    async saveResultFile(runId, name) {
      return unwrap(await bridge.saveResultFile(runId, name));
    },
    async saveLog(runId) {
      return unwrap(await bridge.saveLog(runId));
    },
    async showRunFolder(runId) {
      unwrap(await bridge.showRunFolder(runId));
    },
    close() {
      for (const id of handlers.keys()) bridge.unsubscribe(id);
      handlers.clear();
      offEvent();
      offConnection();
    },
  };
}
