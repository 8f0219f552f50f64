// The machine's own limit for storing log lines: a bare better-sqlite3 insert
// of COUNT rows of 80 bytes, 1,000 per transaction, into a table shaped like
// Jobdeck's (WAL, synchronous=NORMAL, primary key (run_id, seq)).
//   node bench/bareInsert.mjs COUNT DIR
// Prints {rows, seconds, perSecond} as JSON.
import Database from 'better-sqlite3';
import { join } from 'node:path';

const [count, dir] = process.argv.slice(2);
const total = Number(count);
const db = new Database(join(/** @type {string} */ (dir), 'bare.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE log_lines (run_id INTEGER NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, stream INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID');
const insert = db.prepare('INSERT INTO log_lines (run_id, seq, ts, stream, text) VALUES (?, ?, ?, ?, ?)');
const batch = db.transaction((from, to) => {
  const ts = Date.now();
  for (let i = from; i < to; i++) insert.run(1, i + 1, ts, 1, `${String(i + 1).padStart(8, '0')} ${'0'.repeat(71)}`);
});
const t0 = performance.now();
for (let i = 0; i < total; i += 1000) batch(i, Math.min(total, i + 1000));
const seconds = (performance.now() - t0) / 1000;
db.close();
process.stdout.write(JSON.stringify({ rows: total, seconds, perSecond: total / seconds }) + '\n');
