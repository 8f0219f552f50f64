/**
 * The `jobdeck` command line: run job scripts offline, manage jobs and runs
 * of a data folder, serve it over HTTP.
 */
// First: it sets how input is checked before any schema is made.
import { commandWord } from './commandLine';
import { Command, CommanderError } from 'commander';
import { JobdeckError } from '../../shared/errors';
import { VERSION } from '../engine/version';
import { describeError, type GlobalOptions } from './context';
import { EXIT, exitCodeOfError } from './exitCodes';
import { registerJobs } from './commands/jobs';
import { registerLogin } from './commands/login';
import { registerMigrate } from './commands/migrate';
import { registerNodes } from './commands/nodes';
import { registerNotify } from './commands/notify';
import { registerRun } from './commands/run';
import { registerRuns } from './commands/runs';
import { registerScheduler } from './commands/scheduler';
import { registerServe } from './commands/serve';
import { registerService } from './commands/service';
import { registerTransfer } from './commands/transfer';
import { registerUsers } from './commands/users';

// The build calls it to write the throwaway store's template beside the bundle.
export { writeStoreTemplate } from './storeTemplate';

type Registrar = (program: Command, globals: () => GlobalOptions) => void;

/**
 * Each part of the CLI with the top-level commands it adds (a test holds
 * these names to what each one adds). A command line naming one of them
 * builds that part alone: building all of them took 6-8 ms of every start.
 */
export const COMMAND_PARTS: readonly { names: readonly string[]; register: Registrar }[] = [
  { names: ['run'], register: registerRun },
  { names: ['jobs'], register: registerJobs },
  { names: ['runs'], register: registerRuns },
  { names: ['export', 'import'], register: registerTransfer },
  { names: ['migrate'], register: registerMigrate },
  { names: ['scheduler', 'locks'], register: registerScheduler },
  { names: ['nodes'], register: registerNodes },
  { names: ['serve'], register: registerServe },
  { names: ['service'], register: registerService },
  { names: ['users', 'tokens'], register: registerUsers },
  { names: ['recipients', 'webhooks', 'notify', 'report'], register: registerNotify },
  { names: ['login', 'logout', 'logins'], register: registerLogin },
];

export { commandWord, interpretsInput } from './commandLine';

/** The CLI: every command, or only the part that holds the one `argv` names (help and mistakes get every command). */
export function buildProgram(argv: readonly string[] = []): Command {
  const program = new Command('jobdeck')
    .description('Jobdeck: scheduled and background jobs, with live logs and result files.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--data-dir <dir>', 'data folder (default: $JOBDECK_DATA_DIR, else the per-user app-data folder)')
    .option('--server <url>', 'work against a jobdeck serve instead of a data folder (default: $JOBDECK_SERVER)')
    .option('--token <token>', 'API token for --server (default: $JOBDECK_TOKEN)')
    .option('--database <url>', 'keep the data in this PostgreSQL database (postgres://user:password@host/db), shared by the nodes of a cluster, instead of the data folder\'s SQLite file (default: $JOBDECK_DATABASE_URL)')
    .enablePositionalOptions()
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const word = commandWord(argv);
  const named = COMMAND_PARTS.filter((part) => word !== null && part.names.includes(word));
  for (const part of named.length ? named : COMMAND_PARTS) part.register(program, globals);
  // Every subcommand also accepts --data-dir after its name.
  const addDataDir = (cmd: Command): void => {
    for (const sub of cmd.commands) {
      if (sub.commands.length) addDataDir(sub);
      else if (!sub.options.some((o) => o.long === '--data-dir')) {
        sub.option('--data-dir <dir>', 'data folder');
        sub.hook('preAction', (_this, action) => {
          const dir = action.opts<GlobalOptions>().dataDir;
          if (dir) program.setOptionValue('dataDir', dir);
        });
      }
      // … and --database (a PostgreSQL store), except where it means something else (migrate's target is --to).
      if (sub.commands.length === 0 && !sub.options.some((o) => o.long === '--database')) {
        sub.option('--database <url>', 'PostgreSQL database to keep the data in (default: $JOBDECK_DATABASE_URL)');
        sub.hook('preAction', (_this, action) => {
          const url = action.opts<GlobalOptions>().database;
          if (url) program.setOptionValue('database', url);
        });
      }
      sub.exitOverride();
    }
  };
  addDataDir(program);
  return program;
}

/**
 * Output piped into a program that stops reading (`| head`) ends the command
 * quietly, as a Unix tool ends on SIGPIPE, instead of dying with EPIPE.
 */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      throw err;
    });
  }
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  quietOnClosedPipe();
  const program = buildProgram(argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    // Help and version exit 0; usage mistakes have been printed already.
    if (err instanceof CommanderError) return exitCodeOfError(err);
    process.stderr.write(`jobdeck: ${describeError(err)}\n`);
    const code = exitCodeOfError(err);
    if ((code === EXIT.internal || !(err instanceof JobdeckError)) && process.env.JOBDECK_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return code;
  }
}
