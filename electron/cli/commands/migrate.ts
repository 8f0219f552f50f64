/** `jobdeck migrate --from DATA_DIR --to postgres://…`: a data folder's store into an empty PostgreSQL database. */
import type { Command } from 'commander';
import { migrateToPostgres, parseDatabaseUrl } from '../../engine/storeMigration';
import { cliLogger, dataDirOf, print, printJson, UsageError, type GlobalOptions } from '../context';

const count = (n: number) => n.toLocaleString('en-US');

export function registerMigrate(program: Command, globals: () => GlobalOptions): void {
  program
    .command('migrate')
    .description('copy a data folder\'s store into an empty PostgreSQL database, all or nothing, and verify every table')
    .option('--from <dir>', 'the data folder (default: --data-dir, $JOBDECK_DATA_DIR, else the per-user one)')
    .option('--to <url>', 'postgres://user:password@host:5432/database (default: $JOBDECK_DATABASE_URL)')
    .option('--json', 'print the report as JSON')
    .action(async (o: { from?: string; to?: string; json?: boolean }) => {
      const g = globals();
      if (g.server) throw new UsageError('migrate works on a data folder here, not with --server');
      const to = (o.to ?? process.env.JOBDECK_DATABASE_URL ?? '').trim();
      if (!to) throw new UsageError('--to: give the PostgreSQL database, e.g. --to postgres://jobdeck@db.example.com/jobdeck (or set JOBDECK_DATABASE_URL)');
      const url = parseDatabaseUrl(to, '--to');
      const from = dataDirOf({ dataDir: o.from ?? g.dataDir });
      // Progress on a terminal's standard error: a line a table, and every 2 s within a long one.
      const showProgress = process.stderr.isTTY === true;
      let lastAt = 0;
      const report = await migrateToPostgres({
        dataDir: from,
        url,
        logger: cliLogger(),
        onProgress: (p) => {
          if (!showProgress) return;
          const done = p.copied === p.total;
          if (!done && Date.now() - lastAt < 2000) return;
          lastAt = Date.now();
          if (done || p.total > 0) process.stderr.write(`  ${p.table}: ${count(p.copied)} of ${count(p.total)} rows\n`);
        },
      });
      if (o.json) return printJson(report);
      const rows = report.tables.reduce((n, t) => n + t.rows, 0);
      print(`Copied ${count(rows)} rows in ${report.tables.length} tables from ${report.from} to ${report.to} in ${(report.ms / 1000).toFixed(1)} s; every table verified (row count and digest).`);
      if (report.nulsReplaced > 0) print(`${count(report.nulsReplaced)} text values held NUL characters, which PostgreSQL cannot store: each became U+FFFD.`);
      print(`Run folders, result files and script files are not in the database: they stay in ${report.from}.`);
    });
}
