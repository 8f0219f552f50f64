/**
 * An engine in a process of its own (test/fixtures/engine-child.mts), for
 * the crash tests: it starts a run, reports it on its first line, and is
 * then killed with SIGKILL by the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface ChildInfo {
  runId: number;
  jobId: number;
  pids: number[];
}

/** Starts the child on a data folder ('workflow' and 'notify' pick its job) and waits for its report. */
export async function startEngineChild(dataDir: string, mode?: 'workflow' | 'notify', env: NodeJS.ProcessEnv = process.env): Promise<{ child: ChildProcess; info: ChildInfo }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'fixtures', 'engine-child.mts'), dataDir, ...(mode ? [mode] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  });
  const info = await new Promise<ChildInfo>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(JSON.parse(buf.split('\n')[0]!) as ChildInfo);
    });
    child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
  return { child, info };
}

/** Kills the child at once (as a crash would) and waits until it is gone. */
export async function killChild(child: ChildProcess): Promise<void> {
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}
