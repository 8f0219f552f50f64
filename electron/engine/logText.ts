/** A run's whole log as text, one line per log line: "<ISO time> OUT|ERR|JOBDECK <text>". */
import { Readable } from 'node:stream';
import type { Engine } from './engine';

const LABEL = { stdout: 'OUT', stderr: 'ERR', system: 'JOBDECK' } as const;

export function logTextStream(engine: Engine, runId: number): Readable {
  let after = 0;
  return Readable.from(
    (function* () {
      for (;;) {
        const lines = engine.logPage(runId, after, 10_000);
        if (lines.length === 0) return;
        after = lines[lines.length - 1]!.seq;
        yield lines.map((l) => `${l.ts} ${LABEL[l.stream]} ${l.text}\n`).join('');
      }
    })(),
  );
}

export const logFileName = (jobName: string, runId: number): string => `${jobName.replace(/[^\w.-]+/g, '_')}-run-${runId}.log`;
