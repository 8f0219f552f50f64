/**
 * Notifications by email against a real SMTP server on loopback: a failing
 * job alerts a group once, follows up hourly on the engine's clock, says
 * when it recovered; N failures in a row; the run's recip override; a
 * server that is down and comes back; a 5xx refusal; STARTTLS with a login.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/engine/clock';
import { openEngine, until } from '../helpers/engine';
import { startSmtp, stopAllSmtp, type TestSmtp } from '../helpers/smtp';

afterEach(stopAllSmtp);

function engineWith(smtp: TestSmtp, clock = new ManualClock(Date.now())) {
  const opened = openEngine({
    scheduler: false,
    clock,
    notifyPollMs: 50,
    notifyRetryMs: 100,
    env: { JOBDECK_SMTP_URL: smtp.url, JOBDECK_SMTP_FROM: 'jobdeck@example.test', JOBDECK_PUBLIC_URL: 'http://console.example.test' },
  });
  return { ...opened, clock };
}

const rules = (to: string[], extra: Record<string, unknown> = {}) => ({ rules: [{ event: 'failure' as const, to }], afterFailures: 1, followUpHours: 1, ...extra });

describe('email notifications', () => {
  it('alerts a group once, follows up hourly while it fails, and says when it recovered', async () => {
    const smtp = await startSmtp();
    const { engine, client, clock } = engineWith(smtp);
    await client.call('recipients.set', { name: 'developers', members: ['ada@example.test', 'bob@example.test'] });
    const job = await client.call('jobs.create', { name: 'probe', script: 'echo checking; echo "server down" >&2; exit 3', runtime: 'sh', schedule: { kind: 'manual' }, notify: rules(['developers']) });
    const run = async () => engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);

    const first = await run();
    await until(() => smtp.mails.length === 2);
    const alert = smtp.mails[0]!;
    expect(smtp.mails.map((m) => (m.to as { text: string }).text).sort()).toEqual(['ada@example.test', 'bob@example.test']);
    expect(alert.subject).toBe(`[Jobdeck] probe failed (run ${first.id})`);
    expect(alert.from?.text).toBe('jobdeck@example.test');
    expect(alert.text).toContain('Error: exit code 3');
    expect(alert.text).toContain('server down');
    expect(alert.text).toContain(`Open: http://console.example.test/#/runs/${first.id}`);
    expect(alert.html).toContain('<h2');
    expect(alert.messageId).toMatch(/@jobdeck>$/);

    // Still failing: no second alert per run, a follow-up once an hour has passed on the engine's clock.
    await run();
    clock.advance(30 * 60_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.mails).toHaveLength(2);
    clock.advance(31 * 60_000);
    await until(() => smtp.mails.length === 4);
    expect(smtp.mails[2]!.subject).toMatch(/^\[Jobdeck\] probe is still failing/);
    expect(smtp.mails[2]!.text).toMatch(/Failing since .* \(2 failed runs, follow-up 1\)/);

    await client.call('jobs.update', { id: job.id, changes: { script: 'echo fine' } });
    const ok = await run();
    await until(() => smtp.mails.length === 6);
    expect(smtp.mails[4]!.subject).toBe(`[Jobdeck] probe recovered (run ${ok.id})`);
    clock.advance(3 * 3_600_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.mails).toHaveLength(6);

    const log = await client.call('notify.deliveries', {});
    expect(log).toHaveLength(6);
    expect(log.every((d) => d.status === 'sent' && d.attempts === 1 && /^250/.test(d.answer ?? ''))).toBe(true);
    expect(log.map((d) => d.event).sort()).toEqual(['failure', 'failure', 'recovery', 'recovery', 'still-failing', 'still-failing']);
  });

  it('alerts only after N failures in a row, and sends to the run\'s recip instead of the rule\'s addresses', async () => {
    const smtp = await startSmtp();
    const { engine, client } = engineWith(smtp);
    const job = await client.call('jobs.create', {
      name: 'flaky',
      script: 'exit 1',
      runtime: 'sh',
      schedule: { kind: 'manual' },
      params: [{ name: 'recip', type: 'string' }],
      notify: rules(['team@example.test'], { afterFailures: 3 }),
    });
    for (let i = 0; i < 2; i++) await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.mails).toHaveLength(0);
    await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id, params: { recip: 'oncall@example.test, boss@example.test' } })).id);
    await until(() => smtp.mails.length === 2);
    expect(smtp.mails.map((m) => (m.to as { text: string }).text).sort()).toEqual(['boss@example.test', 'oncall@example.test']);
  });

  it('keeps a message while the server is down and delivers it once, when it is back', async () => {
    const smtp = await startSmtp();
    const { engine, client, clock } = engineWith(smtp);
    await smtp.stop();
    const job = await client.call('jobs.create', { name: 'down', script: 'exit 2', runtime: 'sh', schedule: { kind: 'manual' }, notify: rules(['ops@example.test']) });
    await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    const waiting = await until(async () => (await client.call('notify.deliveries', {})).find((d) => d.attempts >= 1));
    expect(waiting.status).toBe('pending');
    expect(waiting.answer).toMatch(/ECONNREFUSED/);
    await smtp.start();
    // Retries wait on the engine's clock: move it past the next attempt.
    const sent = await until(async () => {
      clock.advance(1000);
      return (await client.call('notify.deliveries', {})).find((d) => d.status === 'sent');
    }, 15_000);
    expect(sent.attempts).toBeGreaterThan(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.mails).toHaveLength(1);
  });

  it("fails a message at once on a 5xx refusal, with the server's answer", async () => {
    const smtp = await startSmtp({ reject: 'mailbox unavailable' });
    const { engine, client } = engineWith(smtp);
    const job = await client.call('jobs.create', { name: 'refused', script: 'exit 2', runtime: 'sh', schedule: { kind: 'manual' }, notify: rules(['nobody@example.test']) });
    await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    const failed = await until(async () => (await client.call('notify.deliveries', { status: 'failed' }))[0]);
    expect(failed).toMatchObject({ attempts: 1, target: 'nobody@example.test' });
    expect(failed.answer).toMatch(/^550 .*mailbox unavailable/);
  });

  it('sends through STARTTLS with a login, and a test message reports what the server answered', async () => {
    const smtp = await startSmtp({ tls: true, user: { name: 'mailer', password: 's3cret' } });
    const { client } = openEngine({ scheduler: false, env: {} });
    expect((await client.call('notify.settings', {})).smtp).toBeNull();
    const configured = await client.call('notify.configure', { smtp: { url: smtp.url, from: 'Jobdeck <jobdeck@example.test>', allowSelfSigned: true } });
    expect(configured.smtp!.url).toBe(`smtp://mailer:***@127.0.0.1:${smtp.port}`);
    const answer = await client.call('notify.test', { email: 'ada@example.test' });
    expect(answer.ok).toBe(true);
    expect(answer.answer).toMatch(/^250/);
    expect(smtp.mails[0]!.subject).toBe('[Jobdeck] Jobdeck test message');
    await client.call('notify.configure', { smtp: { url: smtp.url.replace('s3cret', 'wrong'), from: 'jobdeck@example.test', allowSelfSigned: true } });
    const refused = await client.call('notify.test', { email: 'ada@example.test' });
    expect(refused.ok).toBe(false);
    expect(refused.answer).toMatch(/535|auth/i);
    // Saved back as shown (***), the stored password stays; a masked URL for another server is refused.
    await client.call('notify.configure', { smtp: { url: smtp.url, from: 'jobdeck@example.test', allowSelfSigned: true } });
    const shown = (await client.call('notify.settings', {})).smtp!;
    await client.call('notify.configure', { smtp: { url: shown.url, from: 'ops@example.test', allowSelfSigned: true } });
    expect((await client.call('notify.test', { email: 'ada@example.test' })).ok).toBe(true);
    expect(smtp.mails.at(-1)!.from?.text).toBe('ops@example.test');
    const other = await client.call('notify.configure', { smtp: { url: 'smtp://mailer:***@elsewhere.test:25', from: 'x@example.test' } }).catch((e: unknown) => e);
    expect(other).toMatchObject({ code: 'VALIDATION_FAILED', field: 'smtp.url' });
  });

  it('mails a result file a script names with ::email to a group, the file attached', async () => {
    const smtp = await startSmtp();
    const { engine, client } = engineWith(smtp);
    await client.call('recipients.set', { name: 'translation-leads', members: ['lea@example.test'] });
    const script = [
      'printf "<table><tr><td>42</td></tr></table>" > "$JOBDECK_OUTPUT_DIR/queue.html"',
      'echo "::email queue.html translation-leads"',
      'echo "::email missing.html translation-leads"',
      'echo "::email queue.html not/a/target"',
    ].join('\n');
    const job = await client.call('jobs.create', { name: 'queue report', script, runtime: 'sh', schedule: { kind: 'manual' } });
    const run = await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    await until(() => smtp.mails.length === 1);
    const mail = smtp.mails[0]!;
    expect(mail.subject).toBe(`[Jobdeck] queue report sent a report: queue.html (run ${run.id})`);
    expect(mail.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([['queue.html', '<table><tr><td>42</td></tr></table>']]);
    const lines = (await client.call('runs.logs', { id: run.id })).lines.map((l) => l.text);
    expect(lines).toContain('Ignored: ::email "not/a/target" is neither a group name nor an email address');
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.mails).toHaveLength(1);
  });

  it('leaves mail to a process that has an SMTP server, instead of failing it', async () => {
    const smtp = await startSmtp();
    const { engine, client } = openEngine({ scheduler: false, notifyPollMs: 50, env: {} });
    const job = await client.call('jobs.create', { name: 'waits', script: 'exit 1', runtime: 'sh', schedule: { kind: 'manual' }, notify: rules(['ops@example.test']) });
    await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    await new Promise((r) => setTimeout(r, 400));
    expect(await client.call('notify.deliveries', {})).toMatchObject([{ status: 'pending', attempts: 0 }]);
    await client.call('notify.configure', { smtp: { url: smtp.url, from: 'jobdeck@example.test' } });
    await until(() => smtp.mails.length === 1);
  });

  it('says when a fire was missed while Jobdeck was down, and what was done about it', async () => {
    const smtp = await startSmtp();
    const env = { JOBDECK_SMTP_URL: smtp.url, JOBDECK_SMTP_FROM: 'jobdeck@example.test' };
    const first = openEngine({ env, notifyPollMs: 50 });
    const job = await first.client.call('jobs.create', {
      name: 'hourly sync',
      script: 'true',
      runtime: 'sh',
      schedule: { kind: 'cron', expression: '0 0 * * * *', timezone: 'UTC' },
      misfire: 'skip',
      notify: { rules: [{ event: 'missed', to: ['ops@example.test'] }], afterFailures: 1, followUpHours: 0 },
    });
    await first.engine.close(0);
    // Down for a while: its next fire is long past when Jobdeck starts again.
    const due = Date.now() - 2 * 3_600_000;
    const { Store } = await import('../../electron/engine/store/store');
    const { dbFile } = await import('../../electron/engine/paths');
    const db = Store.open(dbFile(first.dataDir));
    db.db.prepare('UPDATE jobs SET next_fire_at = ? WHERE id = ?').run(due, job.id);
    db.close();
    openEngine({ dataDir: first.dataDir, env, notifyPollMs: 50 });
    await until(() => smtp.mails.length === 1);
    expect(smtp.mails[0]!.subject).toBe('[Jobdeck] hourly sync missed a scheduled run');
    expect(smtp.mails[0]!.text).toContain(`the run due at ${new Date(due).toISOString()} was missed while Jobdeck was not running; it was skipped (misfire policy skip)`);
  });

  it('keeps a message for later when the server stalls, and the run does not wait for it', async () => {
    const smtp = await startSmtp({ stall: true });
    const { engine, client } = openEngine({
      scheduler: false,
      notifyPollMs: 50,
      notifyRetryMs: 60_000,
      notifySmtpTimeoutMs: 300,
      env: { JOBDECK_SMTP_URL: smtp.url, JOBDECK_SMTP_FROM: 'jobdeck@example.test' },
    });
    const job = await client.call('jobs.create', { name: 'stalled', script: 'exit 1', runtime: 'sh', schedule: { kind: 'manual' }, notify: rules(['ops@example.test']) });
    const started = Date.now();
    const run = await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    expect(run.status).toBe('FAILED');
    expect(Date.now() - started).toBeLessThan(5000);
    const waiting = await until(async () => (await client.call('notify.deliveries', {})).find((d) => d.attempts === 1));
    expect(waiting.status).toBe('pending');
    expect(waiting.answer).toMatch(/timeout/i);
    expect(waiting.nextAttemptAt).not.toBeNull();
  });

  it('follows up every N failed runs when asked to', async () => {
    const smtp = await startSmtp();
    const { engine, client } = engineWith(smtp);
    const job = await client.call('jobs.create', { name: 'often', script: 'exit 1', runtime: 'sh', schedule: { kind: 'manual' }, notify: { ...rules(['ops@example.test']), followUpHours: 0, followUpRuns: 2 } });
    for (let i = 0; i < 5; i++) await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    await until(() => smtp.mails.length === 3);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.mails.map((m) => m.subject!.replace(/ \(run \d+\)$/, ''))).toEqual(['[Jobdeck] often failed', '[Jobdeck] often is still failing', '[Jobdeck] often is still failing']);
    const email = await client.call('notify.deliveries', { channel: 'email' });
    expect(email).toHaveLength(3);
    expect(await client.call('notify.deliveries', { channel: 'webhook' })).toEqual([]);
  });
});
