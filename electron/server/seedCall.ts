/** The seeds' routes call the contract through the same dispatch as the native API (validation, roles). */
import type { CallContext, MethodName } from '../../shared/contract';
import { dispatch } from '../../shared/dispatch';
import { JobdeckError } from '../../shared/errors';
import type { Engine } from '../engine/engine';

export type ContractCall = <T>(method: MethodName, input: unknown, ctx: CallContext) => Promise<T>;

export function contractCall(engine: Engine): ContractCall {
  return async <T>(method: MethodName, input: unknown, ctx: CallContext): Promise<T> => {
    const result = await dispatch(engine.handlers, method, input, ctx);
    if (!result.ok) throw JobdeckError.fromData(result.error);
    return result.value as T;
  };
}
