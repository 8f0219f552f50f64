/** `jobdeck export` and `jobdeck import`. */
import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { print, printJson, UsageError, withEngine, type GlobalOptions } from '../context';

export function registerTransfer(program: Command, globals: () => GlobalOptions): void {
  program
    .command('export [file]')
    .description('write every job (script, schedule, parameters) as JSON to FILE or standard output')
    .action(async (file: string | undefined) => {
      await withEngine(globals(), async (client) => {
        const doc = await client.call('jobs.export', {});
        const text = `${JSON.stringify(doc, null, 2)}\n`;
        if (file && file !== '-') {
          writeFileSync(file, text);
          process.stderr.write(`Exported ${doc.jobs.length} job${doc.jobs.length === 1 ? '' : 's'} to ${file}\n`);
        } else process.stdout.write(text);
      });
    });

  program
    .command('import <file>')
    .description('create or update (by name) the jobs of an export file; all or nothing')
    .option('--dry-run', 'only say what would change')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, o: { dryRun?: boolean; json?: boolean }) => {
      let document: unknown;
      try {
        document = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
      } catch (err) {
        throw new UsageError(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON (${(err as Error).message})`}`);
      }
      await withEngine(globals(), async (client) => {
        const report = await client.call('jobs.import', { document, dryRun: o.dryRun === true });
        if (o.json) return printJson(report);
        const verb = report.dryRun ? 'Would create' : 'Created';
        print(`${verb} ${report.created.length}, ${report.dryRun ? 'would update' : 'updated'} ${report.updated.length}, unchanged ${report.unchanged.length}.`);
        for (const name of report.created) print(`  + ${name}`);
        for (const name of report.updated) print(`  ~ ${name}`);
      });
    });
}
