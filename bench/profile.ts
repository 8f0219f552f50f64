/** Optional CPU profile of a measured window (JOBDECK_BENCH_PROFILE=file.cpuprofile). */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

export async function profileWindow<T>(fn: () => Promise<T>): Promise<T> {
  const file = process.env.JOBDECK_BENCH_PROFILE;
  if (!file) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}
