/**
 * `jobdeck migrate` as a user types it: the report on standard output and
 * nothing on standard error when it worked; each refusal in one sentence on
 * standard error with the README's exit code, the password never shown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { postgresMissing, startPostgres, PG_PASSWORD, type TestPostgres } from '../helpers/postgres';
import { tempDir } from '../helpers/temp';

const missing = postgresMissing();

describe.skipIf(missing)(`jobdeck migrate (CLI)${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => server?.stop());

  it('moves a folder, then refuses to do it twice; bad URLs, passwords, databases and servers each get their exit code', async () => {
    const dataDir = tempDir();
    const add = await cli(['jobs', 'add', '--name', 'Nightly', '--script', '-', '--manual'], { dataDir, input: 'echo hi\n' });
    expect(add.stderr).toBe('');
    const run = await cli(['run', 'Nightly'], { dataDir });
    expect(run.code).toBe(0);
    const url = await server.createDatabase();

    const done = await cli(['migrate', '--from', dataDir, '--to', url]);
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^Copied \d+ rows in 17 tables from .* to postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\w+ in \d+\.\d s; every table verified \(row count and digest\)\.\n/);
    expect(done.stdout).not.toContain(PG_PASSWORD);

    const json = await cli(['migrate', '--to', url, '--json'], { dataDir });
    expect(json.code).toBe(5);
    expect(json.stderr).toMatch(/^jobdeck: the database postgres:\/\/postgres:\*\*\*@.* already holds Jobdeck data \(.*\): migrate only into an empty database\n$/);

    const viaEnv = await cli(['migrate', '--json'], { dataDir, env: { JOBDECK_DATABASE_URL: await server.createDatabase() } });
    expect(viaEnv.stderr).toBe('');
    const report = JSON.parse(viaEnv.stdout) as { tables: { table: string; rows: number; digest: string }[] };
    expect(report.tables.find((t) => t.table === 'jobs')).toMatchObject({ rows: 1, digest: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const cases: [string[], number, RegExp][] = [
      [['--to', url.replace(PG_PASSWORD, 'wrong')], 4, /refused the sign-in: password authentication failed for user "postgres"/],
      [['--to', url.replace(/:\d+\//, ':1/')], 6, /cannot reach the database at postgres@127\.0\.0\.1:1\/\w+: connect ECONNREFUSED/],
      [['--to', url.replace(/\/\w+$/, '/nowhere')], 3, /database "nowhere" does not exist/],
      [['--to', 'mysql://db/x'], 2, /--to: mysql:\/\/db\/x is not a postgres:\/\/ URL/],
      [['--to', 'postgres://127.0.0.1'], 2, /--to: postgres:\/\/127\.0\.0\.1 names no database/],
      [[], 2, /--to: give the PostgreSQL database/],
      [['--from', `${dataDir}/nothing-here`, '--to', url], 3, /no Jobdeck store in .*nothing-here/],
    ];
    for (const [args, code, message] of cases) {
      const r = await cli(['migrate', ...args], { dataDir });
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr, args.join(' ')).not.toContain('wrong@');
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.code, args.join(' ')).toBe(code);
    }
  });
});
