/**
 * Log ingestion: one run printing 1,000,000 lines of 80 bytes: lines per
 * second persisted, against a bare batched better-sqlite3 insert of the same
 * rows measured in this run; engine memory growth; a live subscriber must
 * receive every line.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Engine } from '../../electron/engine/engine';
import { quick, report, round, tempDir } from '../lib';

const LINES = quick ? 300_000 : 1_000_000;
const ctx = { actor: 'bench', role: 'superadmin' as const };

const bareDir = tempDir();
const bare = JSON.parse(execFileSync(process.execPath, [join(import.meta.dirname, '..', 'bareInsert.mjs'), String(LINES), bareDir.dir], { encoding: 'utf8' })) as {
  perSecond: number;
};
bareDir.remove();

const tmp = tempDir();
const engine = Engine.open({ dataDir: tmp.dir, onError: (e) => console.error(e) });
const job = await engine.handlers['jobs.create'](
  {
    name: 'flood',
    // 80-byte lines: an 8-digit number, a space, 71 zeros.
    script: `awk 'BEGIN { for (i = 1; i <= ${LINES}; i++) printf "%08d %071d\\n", i, 0 }'`,
    schedule: { kind: 'manual' },
  },
  ctx,
);
global.gc?.();
const rssBefore = process.memoryUsage().rss;
let rssMax = rssBefore;
const sampler = setInterval(() => {
  rssMax = Math.max(rssMax, process.memoryUsage().rss);
}, 50);
const t0 = performance.now();
const queued = await engine.handlers['runs.trigger']({ jobId: job.id }, ctx);
let received = 0;
let inOrder = true;
const off = engine.subscribe({ runId: queued.id, afterSeq: 0 }, (e) => {
  if (e.type !== 'log') return;
  for (const l of e.lines) {
    if (l.seq !== received + 1) inOrder = false;
    received = l.seq;
  }
});
const run = await engine.waitForRun(queued.id);
// Until every line is stored: a run's end is committed after its lines. (The process's own time,
// startedAt to finishedAt, measures how fast its output was read, which can run ahead of the store.)
const seconds = (performance.now() - t0) / 1000;
clearInterval(sampler);
off();
const stored = engine.store.db.prepare('SELECT COUNT(*) FROM log_lines WHERE run_id = ? AND stream = 1').pluck().get(run.id) as number;
await engine.close(5000);
tmp.remove();

const perSecond = LINES / seconds;
const growthMb = (rssMax - rssBefore) / 1024 / 1024;
report({
  scenario: 'logs',
  lines: LINES,
  seconds: round(seconds, 2),
  engineLinesPerSecond: Math.round(perSecond),
  bareRowsPerSecond: Math.round(bare.perSecond),
  rateRatio: round(perSecond / bare.perSecond, 2),
  rssGrowthMb: round(growthMb),
  storedAll: stored === LINES,
  subscriberGotAll: received === run.lastSeq && inOrder,
  pass: perSecond / bare.perSecond >= 0.5 && growthMb < 150 && stored === LINES && received === run.lastSeq && inOrder,
  target: '>= 50% of the bare insert rate, RSS growth < 150 MB, live subscribers get every line',
});
