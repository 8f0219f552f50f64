/**
 * What the console and the CLI talk to: one interface, implemented in-process
 * (engine), over Electron IPC (preload bridge) and over HTTP + WebSocket.
 */
import type { Input, MethodName, Output } from '../contract';
import { JobdeckError, type ErrorData } from '../errors';
import type { EngineEvent, Subscription } from '../events';
import type { Result } from '../dispatch';

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface SubscribeHandlers {
  onEvent: (event: EngineEvent) => void;
  /**
   * Transport state of the live feed (remote transports reconnect by
   * themselves; `retryInMs`: when a closed feed tries again).
   */
  onState?: (state: ConnectionState, error?: ErrorData, retryInMs?: number) => void;
}

export interface JobdeckClient {
  /** Which engine this client talks to, for display ("local", or a URL). */
  readonly target: string;
  call<M extends MethodName>(method: M, input: Input<M>): Promise<Output<M>>;
  /** Live events; returns the unsubscribe function. */
  subscribe(sub: Subscription, handlers: SubscribeHandlers): () => void;
  /** A URL the browser can download a result file from (HTTP transport). */
  resultFileUrl?(runId: number, name: string): string;
  /** A URL the browser can download a run's whole log from (HTTP transport). */
  logUrl?(runId: number): string;
  /** Saves a result file where the user picks (desktop transport). Resolves to the saved path, or null if cancelled. */
  saveResultFile?(runId: number, name: string): Promise<string | null>;
  /** Saves a run's log where the user picks (desktop transport). */
  saveLog?(runId: number): Promise<string | null>;
  /** Opens a run's folder in the OS file manager (desktop transport, local engine). */
  showRunFolder?(runId: number): Promise<void>;
  /** Tries to reconnect the live feed now instead of at its next scheduled try (remote transports). */
  reconnectNow?(): void;
  close?(): void;
}

export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw JobdeckError.fromData(result.error);
}
