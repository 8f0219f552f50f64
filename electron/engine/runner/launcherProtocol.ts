/**
 * What the engine and a process host say to each other, in both directions:
 * discriminated unions with a `t` tag, and zod schemas that check each
 * message where it crosses a process boundary (the launcher checks what the
 * engine sends; the engine checks what the launcher sends). The inline host
 * (the CLI's runs in tests) exchanges the same messages without the check.
 */
import { z } from 'zod';

/** A run folder to make before spawning, done by the host so the engine's thread never waits on the disk. */
export const prepareSchema = z.object({
  /** Folders above the run's (made once, then remembered). */
  parents: z.array(z.string()),
  /** The run's folder and its subfolders, outermost first. */
  dirs: z.array(z.string()).min(1),
  /** Files written inside. */
  files: z.array(z.object({ path: z.string(), content: z.string() })),
  /** A folder made the same way ahead of time for the job's next run, renamed into place when present. */
  spare: z.string().optional(),
});
export type Prepare = z.infer<typeof prepareSchema>;

export const spawnRequestSchema = z.object({
  id: z.number().int(),
  command: z.string().min(1),
  args: z.array(z.string()),
  cwd: z.string(),
  /** Variables set for the child on top of the host's environment. */
  env: z.record(z.string(), z.string()),
  /** Names (or name prefixes ending in '*') removed from the host's environment. */
  unsetEnv: z.array(z.string()),
  /**
   * A value unique to this run, set in its environment as JOBDECK_RUN_KEY: what
   * finds processes that left the run's process group (setsid daemons).
   */
  runKey: z.string().min(1),
  prepare: prepareSchema.optional(),
  /** Looked at when the process ends, to report whether it holds any file. */
  outputDir: z.string().optional(),
});
export type SpawnRequest = z.infer<typeof spawnRequestSchema>;

/** engine -> host */
export const engineMessageSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('spawn'), req: spawnRequestSchema }),
  /** Stop a run's whole process tree: SIGTERM now, SIGKILL after graceMs. */
  z.object({ t: z.literal('terminate'), id: z.number().int(), graceMs: z.number().min(0) }),
  /** Stop everything, report every exit, then exit. */
  z.object({ t: z.literal('shutdown'), graceMs: z.number().min(0) }),
]);
export type EngineMessage = z.infer<typeof engineMessageSchema>;

/** What became of processes a run left behind when its main process exited. */
export const leftoversSchema = z.object({
  /** Processes of the run's own process group were still running (and were stopped). */
  inGroup: z.boolean(),
  /** Processes outside the group, found by the run's key, that were stopped. */
  escaped: z.number().int(),
  /** Processes that could not be stopped (pids). */
  survivors: z.array(z.number().int()),
  /** False where escaped processes cannot be looked for (no /proc). */
  searched: z.boolean(),
});
export type Leftovers = z.infer<typeof leftoversSchema>;

/**
 * Why a run's process never ran: its folder could not be made, the program
 * could not be started, it was stopped before it started, or the launcher
 * died under it.
 */
export const FAILED_REASONS = ['PREPARE', 'SPAWN', 'STOPPED', 'LAUNCHER_DIED'] as const;
export type FailedReason = (typeof FAILED_REASONS)[number];

/** host -> engine */
export const hostMessageSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('spawned'), id: z.number().int(), pid: z.number().int(), at: z.number() }),
  z.object({
    t: z.literal('lines'),
    id: z.number().int(),
    stream: z.enum(['stdout', 'stderr']),
    at: z.number(),
    lines: z.array(z.string()),
  }),
  z.object({
    t: z.literal('exit'),
    id: z.number().int(),
    code: z.number().int().nullable(),
    signal: z.string().nullable(),
    at: z.number(),
    leftovers: leftoversSchema.nullable(),
    outputFiles: z.number().int(),
  }),
  z.object({
    t: z.literal('failed'),
    id: z.number().int(),
    reason: z.enum(FAILED_REASONS),
    message: z.string(),
    errno: z.string().nullable(),
  }),
]);
export type HostMessage = z.infer<typeof hostMessageSchema>;

/** launcher -> engine: the messages of one event-loop turn, or the launcher saying it is ready. */
export const launcherEnvelopeSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('ready'), pid: z.number().int() }),
  z.object({ t: z.literal('batch'), msgs: z.array(hostMessageSchema) }),
]);
export type LauncherEnvelope = z.infer<typeof launcherEnvelopeSchema>;

/** Options a host runs with (the launcher gets them in its environment). */
export const hostOptionsSchema = z.object({
  /** How long output pipes may stay open after the main process exits (ms). */
  closeGraceMs: z.number().min(0).optional(),
  /** SIGTERM to SIGKILL delay for processes left behind by an exited run (ms). */
  leftoverGraceMs: z.number().min(0).optional(),
  maxLineBytes: z.number().int().min(16).optional(),
  /** Grace for stopping jobs if the engine disappears (launcher only, ms). */
  orphanGraceMs: z.number().min(0).optional(),
});
export type HostOptions = z.infer<typeof hostOptionsSchema>;

/** The first problem of a message that failed its schema, in a few words. */
export function protocolProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'malformed message';
}
