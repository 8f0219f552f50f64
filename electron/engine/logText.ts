/**
 * A run's whole log as text, one line per log line:
 * "<ISO time> OUT|ERR|JOBDECK <text>". Produced page by page (bounded in
 * bytes), yielding to the event loop between pages, so exporting a log of
 * any size neither blocks the engine nor holds the log in memory.
 */
import type { Download } from '../../shared/contract';
import { toLogLine } from './store/rows';
import type { EngineStore as Store } from './store/engineStore';

const LABEL = { stdout: 'OUT', stderr: 'ERR', system: 'JOBDECK' } as const;
const PAGE_LINES = 10_000;
const PAGE_BYTES = 1024 * 1024;

export const logFileName = (jobName: string, runId: number): string => `${jobName.replace(/[^\w.-]+/g, '_')}-run-${runId}.log`;

async function* logChunks(store: Store, runId: number): AsyncGenerator<Uint8Array> {
  let after = 0;
  for (;;) {
    if (!store.isOpen) return;
    const rows = await store.logs.page(runId, after, PAGE_LINES, PAGE_BYTES);
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.seq;
    yield Buffer.from(rows.map((r) => {
      const l = toLogLine(r);
      return `${l.ts} ${LABEL[l.stream]} ${l.text}\n`;
    }).join(''));
    await new Promise((r) => setImmediate(r));
  }
}

export function logDownload(store: Store, runId: number, jobName: string): Download {
  return {
    fileName: logFileName(jobName, runId),
    contentType: 'text/plain; charset=utf-8',
    size: null,
    sha256: null,
    chunks: () => logChunks(store, runId),
  };
}
