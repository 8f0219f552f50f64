/** What the checkpoint worker (checkpointWorker.ts) and the engine say to each other. */
export interface CheckpointerInput {
  file: string;
  intervalMs: number;
  nativeBinding?: string;
}

/** worker -> engine */
export type CheckpointerMessage =
  | { t: 'ready' }
  | { t: 'checkpointed'; logFrames: number; copiedFrames: number; ms: number }
  | { t: 'problem'; message: string }
  | { t: 'failed'; message: string }
  | { t: 'closed' };
