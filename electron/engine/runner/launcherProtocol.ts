/**
 * What the engine and a process host say to each other, in both directions:
 * discriminated unions with a `t` tag, and zod schemas that check each
 * message where it crosses a process boundary (the launcher checks what the
 * engine sends; the engine checks what the launcher sends). The inline host
 * (the engine's tests) exchanges the same messages without the check.
 */
const int = () => v.pipe(v.number(), v.integer());
const nonNegative = () => v.pipe(v.number(), v.minValue(0));
// valibot, not zod: it bundles to a few kilobytes, and the launcher must stay small (the
// bigger a process, the slower each fork() of a job; see PERFORMANCE.md).
import * as v from 'valibot';

/** A run folder to make before spawning, done by the host (the launcher) so the engine's thread never waits on the disk. */
export const prepareSchema = v.object({
  /** Folders above the run's (made once, then remembered). */
  parents: v.array(v.string()),
  /** Folders made if missing, every time (a workflow run's folders, shared by its tasks). */
  ensure: v.optional(v.array(v.string())),
  /** The run's folder and its subfolders, outermost first. */
  dirs: v.pipe(v.array(v.string()), v.minLength(1)),
  /** Files written inside. */
  files: v.array(v.object({ path: v.string(), content: v.string() })),
  /** Files named by their content (script versions): written once, left as they are when already there. */
  scripts: v.optional(v.array(v.object({ path: v.string(), content: v.string() }))),
  /** Where a host that keeps spare run folders (spareFolders.ts) keeps them: this data folder's `runs/.spares`. */
  spares: v.optional(v.string()),
});
export type Prepare = v.InferOutput<typeof prepareSchema>;

export const spawnRequestSchema = v.object({
  id: int(),
  command: v.pipe(v.string(), v.minLength(1)),
  args: v.array(v.string()),
  cwd: v.string(),
  /** Variables set for the child on top of the host's environment. */
  env: v.record(v.string(), v.string()),
  /** Names (or name prefixes ending in '*') removed from the host's environment. */
  unsetEnv: v.array(v.string()),
  /**
   * A value unique to this run, set in its environment as JOBDECK_RUN_KEY: what
   * finds processes that left the run's process group (setsid daemons).
   */
  runKey: v.pipe(v.string(), v.minLength(1)),
  prepare: v.optional(prepareSchema),
  /** Looked at when the process ends, to report whether it holds any file. */
  outputDir: v.optional(v.string()),
  /**
   * The run may start in a pre-started interpreter of this runtime (see
   * warmPool.ts): `command` is then that interpreter and `args` the script
   * path and its arguments. Absent: always a fresh process.
   */
  warm: v.optional(v.picklist(['node', 'python3'])),
});
export type SpawnRequest = v.InferOutput<typeof spawnRequestSchema>;

/** engine -> host: one instruction. */
const engineInstructionSchema = v.variant('t', [
  v.object({ t: v.literal('spawn'), req: spawnRequestSchema }),
  /** Stop a run's whole process tree: SIGTERM now, SIGKILL after graceMs. */
  v.object({ t: v.literal('terminate'), id: int(), graceMs: nonNegative() }),
  /** Stop everything, report every exit, then exit. */
  v.object({ t: v.literal('shutdown'), graceMs: nonNegative() }),
]);
export type EngineMessage = v.InferOutput<typeof engineInstructionSchema>;

/**
 * engine -> host, as sent: an instruction, or the instructions given in one
 * turn of the engine's event loop, in order (a burst's spawns: one pipe write
 * and one wake-up of the launcher instead of one each).
 */
export const engineMessageSchema = v.union([
  engineInstructionSchema,
  v.object({ t: v.literal('batch'), msgs: v.pipe(v.array(engineInstructionSchema), v.minLength(1), v.maxLength(10_000)) }),
]);
export type EngineEnvelope = v.InferOutput<typeof engineMessageSchema>;

/** What became of processes a run left behind when its main process exited. */
export const leftoversSchema = v.object({
  /** Processes of the run's own process group were still running (and were stopped). */
  inGroup: v.boolean(),
  /** Processes outside the group, found by the run's key, that were stopped. */
  escaped: int(),
  /** Processes that could not be stopped (pids). */
  survivors: v.array(int()),
  /** False where escaped processes cannot be looked for (no /proc). */
  searched: v.boolean(),
});
export type Leftovers = v.InferOutput<typeof leftoversSchema>;

/**
 * Why a run's process never ran: its folder could not be made, the program
 * could not be started, it was stopped before it started, or the launcher
 * died under it.
 */
export const FAILED_REASONS = ['PREPARE', 'SPAWN', 'STOPPED', 'LAUNCHER_DIED'] as const;
export type FailedReason = (typeof FAILED_REASONS)[number];

/** host -> engine */
export const hostMessageSchema = v.variant('t', [
  /** `warm`: the run was handed to a pre-started interpreter instead of a fresh process. */
  v.object({ t: v.literal('spawned'), id: int(), pid: int(), at: v.number(), warm: v.optional(v.boolean()) }),
  v.object({
    t: v.literal('lines'),
    id: int(),
    stream: v.picklist(['stdout', 'stderr']),
    at: v.number(),
    lines: v.array(v.string()),
  }),
  /** The main process exited and its process group is gone (the run's slot can go to another run). */
  v.object({
    t: v.literal('exit'),
    id: int(),
    code: v.nullable(int()),
    signal: v.nullable(v.string()),
    at: v.number(),
    outputFiles: int(),
  }),
  /**
   * After `exit`: processes that left the group were looked for and stopped.
   * The last message of a run that started; `leftovers` null when nothing was left.
   */
  v.object({ t: v.literal('settled'), id: int(), leftovers: v.nullable(leftoversSchema) }),
  v.object({
    t: v.literal('failed'),
    id: int(),
    reason: v.picklist(FAILED_REASONS),
    message: v.string(),
    errno: v.nullable(v.string()),
  }),
]);
export type HostMessage = v.InferOutput<typeof hostMessageSchema>;

/** launcher -> engine: a batch of messages, in order (launcher.ts says which go together), or the launcher saying it is ready. */
export const launcherEnvelopeSchema = v.variant('t', [
  v.object({ t: v.literal('ready'), pid: int() }),
  v.object({ t: v.literal('batch'), msgs: v.array(hostMessageSchema) }),
]);
export type LauncherEnvelope = v.InferOutput<typeof launcherEnvelopeSchema>;

/** Options a host runs with (the launcher gets them in its environment). */
export const hostOptionsSchema = v.object({
  /** How long output pipes may stay open after the main process exits (ms). */
  closeGraceMs: v.optional(nonNegative()),
  /** SIGTERM to SIGKILL delay for processes left behind by an exited run (ms). */
  leftoverGraceMs: v.optional(nonNegative()),
  maxLineBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(16))),
  /** Grace for stopping jobs if the engine disappears (launcher only, ms). */
  orphanGraceMs: v.optional(nonNegative()),
  /** Longest a start or output report waits to go with others (launcher only, ms; 5 when unset). */
  reportDelayMs: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(10_000))),
  /** Most spare run folders made ahead of time (0, the default: none; launchers keep some). */
  spareFolders: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(4096))),
  /** Most idle pre-started interpreters kept per runtime (0: none). */
  warmMax: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(16))),
  /** Runs that may start warm within this window size the pool; idle ones past it are retired (ms). */
  warmWindowMs: v.optional(v.pipe(v.number(), v.minValue(100))),
  /** The Node bootstrap a warm node process runs (warmNode.ts, built); none: node runs start cold. */
  warmNodePath: v.optional(v.string()),
});
export type HostOptions = v.InferOutput<typeof hostOptionsSchema>;

/** Checks a message against a schema: its value, or the first problem in a few words. */
export function check<S extends v.GenericSchema>(schema: S, value: unknown): { ok: true; value: v.InferOutput<S> } | { ok: false; problem: string } {
  const result = v.safeParse(schema, value);
  if (result.success) return { ok: true, value: result.output };
  const issue = result.issues[0];
  const path = issue.path?.map((p) => String(p.key)).join('.') || 'message';
  return { ok: false, problem: `${path}: ${issue.message}` };
}
