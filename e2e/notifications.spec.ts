/**
 * Notifications in the console, in Chromium against `jobdeck serve` and a
 * real SMTP server on loopback: SMTP set in the settings screen (password
 * shown masked), a test mail answered 250, a recipient group, a webhook's
 * secret shown once, a failure rule given in the job editor (a bad target
 * said beside its event), the failing run's message sent, on the run's page
 * and in the delivery log, and the mail received.
 */
import { expect, screenshot, test } from './fixtures';
import { startSmtp, type TestSmtp } from './smtp';

let smtp: TestSmtp;
test.beforeEach(async () => {
  smtp = await startSmtp({ user: { name: 'jobdeck', password: 's3cret' } });
});
test.afterEach(async () => {
  await smtp.stop();
});

test('settings, a test mail, a group, a failure rule in the job editor, and the failing run mailed', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  const job = await (await api.post('/api/jobs', { data: { name: 'Nightly export', script: 'echo "export broke" >&2\nexit 3\n', schedule: { kind: 'manual' } } })).json();

  // SMTP settings: saved, then shown as the server returns them (password masked).
  await jobdeck.open(page, '#/notifications');
  await page.getByRole('link', { name: 'Notifications' }).click();
  await expect(page.getByRole('link', { name: 'Notifications' })).toHaveAttribute('aria-current', 'page');
  await page.getByLabel('SMTP URL').fill(smtp.url);
  await page.getByLabel('From address').fill('jobdeck@example.com');
  await page.getByRole('button', { name: 'Save SMTP settings' }).click();
  await expect(page.getByLabel('SMTP URL')).toHaveValue(`smtp://jobdeck:***@127.0.0.1:${smtp.port}`);
  // Saved back as shown (***), with another from-address: the stored password stays (the test mail below logs in with it).
  await page.getByLabel('From address').fill('alerts@example.com');
  await page.getByRole('button', { name: 'Save SMTP settings' }).click();
  await expect(page.getByLabel('From address')).toHaveValue('alerts@example.com');
  await expect(page.getByLabel('SMTP URL')).toHaveValue(`smtp://jobdeck:***@127.0.0.1:${smtp.port}`);

  // A test mail: the server's own answer.
  await page.getByLabel('Send a test mail to').fill('oncall@example.com');
  await page.getByRole('button', { name: 'Send test' }).click();
  await expect(page.getByTestId('test-email-answer')).toContainText(/Accepted: 250/);
  await expect.poll(() => smtp.mails.length).toBe(1);
  expect(smtp.mails[0]!.to).toMatchObject({ text: 'oncall@example.com' });
  expect(smtp.mails[0]!.from).toMatchObject({ text: 'alerts@example.com' });

  // A recipient group; a bad member is said beside the members.
  await page.getByRole('button', { name: 'Add group' }).click();
  await page.getByLabel('Group name').fill('ops');
  await page.getByLabel('Members').fill('ops@example.com, not an address');
  await page.getByRole('button', { name: 'Add group', exact: true }).last().click();
  await expect(page.locator('[data-field-error="group-new-members"]')).toContainText('not an address');
  await page.getByLabel('Members').fill('ops@example.com, lead@example.com');
  await page.locator('form[aria-label="Add a group"]').getByRole('button', { name: 'Add group' }).click();
  await expect(page.locator('[data-group="ops"]')).toContainText('ops@example.com, lead@example.com');

  // A webhook: its secret is shown once, with a copy button.
  await page.getByRole('button', { name: 'Add webhook' }).click();
  await page.getByLabel('Name', { exact: true }).fill('chat');
  await page.getByLabel('URL', { exact: true }).fill('http://127.0.0.1:9/hook');
  await page.locator('form[aria-label="Add a webhook"]').getByRole('button', { name: 'Add webhook' }).click();
  const secret = page.getByRole('dialog', { name: 'Webhook chat added' });
  await expect(secret).toBeVisible();
  await expect(secret.getByTestId('webhook-secret')).toContainText(/\S{16,}/);
  await expect(secret.getByRole('button', { name: 'Copy the secret' })).toBeVisible();
  await screenshot(page, 'notifications-webhook-secret');
  await secret.getByRole('button', { name: 'I have kept it' }).click();
  await expect(secret).toBeHidden();
  await expect(page.locator('[data-webhook="chat"]')).toBeVisible();
  // Its test send says what happened (nothing listens on port 9: refused, in the server's words).
  await page.locator('[data-webhook="chat"]').getByRole('button', { name: 'Send test' }).click();
  await expect(page.locator('[data-webhook="chat"]').locator('[data-testid="test-answer-chat"], [role="alert"]')).toBeVisible();
  await screenshot(page, 'notifications-settings');

  // The job's settings: a failure rule to the group; a bad target is said beside its event first.
  await page.goto(`${jobdeck.url}/#/jobs/${job.id}/settings`);
  const failure = page.getByLabel('Failure', { exact: true });
  await expect(failure).toBeVisible();
  await failure.fill('ops, not valid!');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.locator('[data-field-error="notify-failure"]')).toContainText('not valid!: a target is');
  await expect(failure).toHaveAttribute('aria-invalid', 'true');
  await failure.fill('ops');
  await page.getByLabel('Failures in a row before the first alert').fill('1');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('tab', { name: 'Settings', exact: true })).toBeVisible();
  await expect(page.locator('[data-field-error="notify-failure"]')).toHaveCount(0);
  await page.getByTestId('notify-section').scrollIntoViewIfNeeded();
  await screenshot(page, 'notifications-job-editor');
  await page.getByRole('tab', { name: 'Overview' }).click();
  await expect(page.getByTestId('job-notify')).toHaveText('failure → ops');

  // Run it: it fails, and the message goes to the group's members.
  const run = await (await api.post(`/api/jobs/${job.id}/runs`, { data: {} })).json();
  await page.goto(`${jobdeck.url}/#/runs/${run.id}`);
  await expect(page.getByTestId('run-detail')).toHaveAttribute('data-status', 'FAILED', { timeout: 30_000 });
  const panel = page.getByTestId('run-notifications');
  await expect(panel).toBeVisible();
  await expect(panel.getByTestId('delivery').first()).toHaveAttribute('data-status', 'sent');
  await expect(panel.locator('[data-testid="delivery"]:not([data-status="sent"])')).toHaveCount(0);
  await expect(panel).toContainText('failure');
  await expect(panel).toContainText(/250/);
  await screenshot(page, 'notifications-run');

  await expect.poll(() => smtp.mails.filter((m) => /Nightly export/.test(m.subject ?? '')).length).toBeGreaterThan(0);
  const mail = smtp.mails.find((m) => /Nightly export/.test(m.subject ?? ''))!;
  expect(JSON.stringify(mail.to)).toContain('ops@example.com');

  // The delivery log: the message, with its run link; filtered by status.
  await page.getByRole('link', { name: 'Notifications' }).click();
  const log = page.getByTestId('delivery-log');
  const row = log.locator(`[data-testid="delivery"]:has(a[href="#/runs/${run.id}"])`).first();
  await expect(row).toHaveAttribute('data-status', 'sent');
  await expect(row).toContainText('failure');
  await expect(log.locator('[data-testid="delivery"]').first()).toContainText(`#${run.id}`);
  await log.getByLabel('Status').selectOption('failed');
  await expect(log.getByTestId('delivery')).toHaveCount(0);
  await expect(log).toContainText('No messages failed');
  await log.getByLabel('Status').selectOption('sent');
  await expect(log.getByTestId('delivery').first()).toBeVisible();
  await screenshot(page, 'notifications-log');
});

test('a viewer reads groups and the delivery log, but sees no settings, webhooks or edit buttons', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  await api.post('/api/recipients', { data: { name: 'ops', members: ['ops@example.com'] } });
  await jobdeck.open(page, '#/notifications', 'viewer');
  await expect(page.locator('[data-group="ops"]')).toBeVisible();
  await expect(page.getByTestId('delivery-log')).toBeVisible();
  await expect(page.getByTestId('smtp-panel')).toHaveCount(0);
  await expect(page.getByTestId('webhooks-panel')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Add group' })).toHaveCount(0);
});

test('an admin reads the email settings as text (no disabled form) and may send a test; only a superadmin edits them', async ({ page, jobdeck }) => {
  const api = await jobdeck.api();
  await api.patch('/api/notify/settings', { data: { smtp: { url: 'smtp://robot:hunter2@127.0.0.1:9', from: 'jobdeck@example.com' }, publicUrl: 'https://jobdeck.example.com' } });
  await jobdeck.open(page, '#/notifications', 'admin');
  const smtp = page.getByTestId('smtp-panel');
  await expect(smtp.getByTestId('smtp-readonly')).toContainText('smtp://robot:***@127.0.0.1:9');
  await expect(smtp.getByTestId('smtp-readonly')).toContainText('jobdeck@example.com');
  await expect(smtp.getByTestId('smtp-readonly')).toContainText('https://jobdeck.example.com');
  await expect(smtp.getByText('Only a superadmin changes these settings.')).toBeVisible();
  await expect(smtp.getByRole('textbox', { name: 'SMTP URL' })).toHaveCount(0);
  await expect(smtp.getByRole('button', { name: 'Save SMTP settings' })).toHaveCount(0);
  await expect(smtp.locator('fieldset:disabled, input:disabled')).toHaveCount(0);
  await expect(smtp.getByRole('button', { name: 'Send test' })).toBeAttached();
});
