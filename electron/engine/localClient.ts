/**
 * The contract client for an engine in this process: the CLI's, and the
 * Electron main process's (which puts IPC in front of the same dispatch).
 */
import type { JobdeckClient } from '../../shared/client/client';
import { unwrap } from '../../shared/client/client';
import type { CallContext, Input, MethodName, Output } from '../../shared/contract';
import { dispatch } from '../../shared/dispatch';
import { subscriptionSchema } from '../../shared/events';
import type { Engine } from './engine';

export function createLocalClient(engine: Engine, ctx: CallContext): JobdeckClient {
  return {
    target: `local (${engine.dataDir})`,
    async call<M extends MethodName>(method: M, input: Input<M>): Promise<Output<M>> {
      // Round-trip through JSON as a remote transport would, so both behave alike.
      const result = await dispatch(engine.handlers, method, JSON.parse(JSON.stringify(input ?? {})), ctx);
      return unwrap(result) as Output<M>;
    },
    subscribe(sub, handlers) {
      const parsed = subscriptionSchema.parse(sub);
      handlers.onState?.('open');
      return engine.subscribe(parsed, handlers.onEvent);
    },
  };
}
