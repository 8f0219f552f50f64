/**
 * Notifications from the real `jobdeck` command: groups, webhooks, SMTP
 * settings and test sends, job rules with --notify, the delivery log, and
 * `jobdeck run script.sh --email` mailing the run's summary.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { startSmtp, stopAllSmtp } from '../helpers/smtp';
import { tempDir } from '../helpers/temp';
import { until } from '../helpers/engine';

afterEach(stopAllSmtp);

describe('jobdeck notifications', () => {
  it('manages groups and SMTP, sends a test, alerts a group when a job fails, and logs the delivery', async () => {
    const smtp = await startSmtp();
    const dataDir = join(tempDir(), 'data');
    const added = await cli(['recipients', 'add', 'developers', 'ada@example.test,bob@example.test'], { dataDir });
    expect(added).toMatchObject({ code: 0, stderr: '', stdout: 'Group developers: ada@example.test, bob@example.test\n' });
    expect((await cli(['recipients', 'remove', 'developers', 'bob@example.test'], { dataDir })).stdout).toBe('Group developers: ada@example.test\n');
    expect((await cli(['recipients', 'list'], { dataDir })).stdout).toMatch(/developers +ada@example\.test/);
    const bad = await cli(['recipients', 'add', 'developers', 'not-an-address'], { dataDir });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/members\.1: a member is an email address, webhook:NAME or desktop/);

    expect((await cli(['notify', 'smtp', smtp.url], { dataDir })).stderr).toMatch(/--from ADDRESS is required/);
    const set = await cli(['notify', 'smtp', smtp.url, '--from', 'jobdeck@example.test'], { dataDir });
    expect(set).toMatchObject({ code: 0, stderr: '' });
    const test = await cli(['notify', 'test', '--email', 'ada@example.test'], { dataDir });
    expect(test.code).toBe(0);
    expect(test.stdout).toMatch(/^Delivered: 250/);

    const script = join(tempDir(), 'fail.sh');
    writeFileSync(script, 'echo broken >&2; exit 5\n');
    const job = await cli(['jobs', 'add', '--name', 'probe', '--script', script, '--manual', '--notify', 'failure=developers', '--follow-up', '0'], { dataDir });
    expect(job).toMatchObject({ code: 0, stderr: '' });
    expect((await cli(['jobs', 'show', 'probe'], { dataDir })).stdout).toMatch(/notify +failure=developers \(after 1 failure\(s\), follow-up every 0 h\)/);
    const run = await cli(['run', 'probe'], { dataDir });
    expect(run.code).toBe(5);
    await until(() => smtp.mails.length === 2, 20_000);
    expect(smtp.mails[1]!.subject).toBe('[Jobdeck] probe failed (run 1)');
    expect(smtp.mails[1]!.text).toContain('broken');
    const log = await cli(['notify', 'log', '--json'], { dataDir });
    expect(JSON.parse(log.stdout)).toMatchObject([{ event: 'failure', runId: 1, target: 'ada@example.test', status: 'sent', attempts: 1 }]);
    const wrong = await cli(['jobs', 'edit', 'probe', '--notify', 'explode=developers'], { dataDir });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/"explode" is not an event/);
  });

  it('mails the summary of `jobdeck run script.sh --email` through JOBDECK_SMTP_URL', async () => {
    const smtp = await startSmtp();
    const script = join(tempDir(), 'report.sh');
    writeFileSync(script, 'echo "rows: 42"\n');
    const run = await cli(['run', script, '--email', 'ops@example.test'], { env: { JOBDECK_SMTP_URL: smtp.url, JOBDECK_SMTP_FROM: 'cron@example.test' } });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('rows: 42\n');
    expect(run.stderr).toMatch(/\[jobdeck\] Mailed the summary to ops@example\.test: 250/);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.subject).toBe('[Jobdeck] report.sh succeeded (run 1)');
    expect(smtp.mails[0]!.text).toContain('rows: 42');
    const noServer = await cli(['run', script, '--email', 'ops@example.test'], { env: { JOBDECK_SMTP_URL: '' } });
    expect(noServer.code).toBe(2);
    expect(noServer.stderr).toMatch(/--email needs an SMTP server: set JOBDECK_SMTP_URL/);
    const bad = await cli(['run', script, '--email', 'nobody'], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--email: "nobody" is not an email address/);
  });

  it('mails the job list in next-execution order, disabled and archived last, with the JSON export attached', async () => {
    const smtp = await startSmtp();
    const dataDir = join(tempDir(), 'data');
    const script = join(tempDir(), 'noop.sh');
    writeFileSync(script, 'true\n');
    const env = { JOBDECK_SMTP_URL: smtp.url };
    for (const [name, opts] of [
      ['hourly', ['--cron', '0 0 * * * *']],
      ['off', ['--interval', '60', '--disable']],
      ['soon', ['--interval', '5']],
      ['gone', ['--interval', '60']],
    ] as const) {
      expect((await cli(['jobs', 'add', '--name', name, '--script', script, ...opts], { dataDir })).code).toBe(0);
    }
    await cli(['jobs', 'archive', 'gone'], { dataDir });
    await cli(['recipients', 'add', 'admins', 'root@example.test'], { dataDir });
    const sent = await cli(['report', 'jobs', '--email', 'admins,ops@example.test'], { dataDir, env });
    expect(sent).toMatchObject({ code: 0, stderr: '' });
    expect(sent.stdout).toMatch(/^Mailed the list of 4 jobs to root@example\.test, ops@example\.test: 250/);
    const mail = smtp.mails[0]!;
    expect(mail.subject).toMatch(/^\[Jobdeck\] 4 scheduled jobs on /);
    const order = [...mail.text!.matchAll(/^\d+\. ([^:]+):/gm)].map((m) => m[1]);
    expect(order).toEqual(['soon', 'hourly', 'off', 'gone']);
    expect(mail.text).toMatch(/off: every 60 s; next -; last never ran \(disabled\)/);
    expect(mail.html).toContain('<table');
    const exported = JSON.parse(mail.attachments.find((a) => a.filename === 'jobs-export.json')!.content.toString());
    expect(exported.format).toBe('jobdeck-export');
    expect(exported.jobs.map((j: { name: string }) => j.name).sort()).toEqual(['gone', 'hourly', 'off', 'soon']);
    const nobody = await cli(['report', 'jobs', '--email', 'strangers'], { dataDir, env });
    expect(nobody.code).not.toBe(0);
    expect(nobody.stderr).toMatch(/"strangers" is neither an email address nor a recipient group/);
  });
});
