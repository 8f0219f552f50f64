/**
 * Webhooks against a local HTTP receiver that verifies every request's
 * Standard Webhooks signature with the secret the webhook was given.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { openEngine, until } from '../helpers/engine';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  verified: boolean;
}

const servers: import('node:http').Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function receiver(status = 200): Promise<{ url: string; got: Received[]; secret: { value: string } }> {
  const got: Received[] = [];
  const secret = { value: '' };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      let verified = false;
      try {
        new Webhook(secret.value).verify(body, req.headers as Record<string, string>);
        verified = true;
      } catch {
        verified = false;
      }
      got.push({ headers: req.headers, body, verified });
      res.writeHead(verified ? status : 401).end(verified ? 'thanks' : 'bad signature');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, secret };
}

describe('webhook notifications', () => {
  it('signs every request so the receiver can verify it, in the generic and Slack shapes', async () => {
    const hook = await receiver();
    const { engine, client } = openEngine({ scheduler: false, notifyPollMs: 50, env: {} });
    const added = await client.call('webhooks.add', { name: 'ops', url: hook.url });
    hook.secret.value = added.secret;
    expect(added.secret).toMatch(/^whsec_/);
    expect(await client.call('webhooks.list', {})).toEqual([{ name: 'ops', url: hook.url, style: 'json', createdAt: expect.any(String) }]);
    const slack = await client.call('webhooks.add', { name: 'chat', url: hook.url, style: 'slack' });
    await client.call('recipients.set', { name: 'oncall', members: ['webhook:ops', 'webhook:chat'] });

    const job = await client.call('jobs.create', {
      name: 'nightly',
      script: 'exit 4',
      runtime: 'sh',
      schedule: { kind: 'manual' },
      notify: { rules: [{ event: 'failure', to: ['oncall'] }], afterFailures: 1, followUpHours: 0 },
    });
    const run = await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    await until(() => hook.got.length === 2);
    const generic = hook.got.find((g) => JSON.parse(g.body).type === 'jobdeck.notification')!;
    expect(generic.verified).toBe(true);
    expect(generic.headers['webhook-id']).toMatch(/^msg_/);
    expect(JSON.parse(generic.body)).toMatchObject({ event: 'failure', jobName: 'nightly', runId: run.id, status: 'FAILED', error: 'exit code 4' });
    // The Slack one was signed with its own secret: this receiver (holding the other) refused it, and the log says so.
    const other = hook.got.find((g) => g !== generic)!;
    expect(JSON.parse(other.body).text).toMatch(/^\*\[Jobdeck\] nightly failed/);
    expect(other.verified).toBe(false);
    const log = await until(async () => {
      const l = await client.call('notify.deliveries', { runId: run.id });
      return l.every((d) => d.status !== 'pending' && d.status !== 'sending') ? l : null;
    });
    expect(log.find((d) => d.target === 'ops')).toMatchObject({ status: 'sent', answer: 'HTTP 200: thanks' });
    expect(log.find((d) => d.target === 'chat')).toMatchObject({ status: 'failed', answer: 'HTTP 401: bad signature' });
    expect(slack.secret).not.toBe(added.secret);

    const test = await client.call('notify.test', { webhook: 'ops' });
    expect(test).toEqual({ ok: true, answer: 'HTTP 200: thanks' });
    // A port nothing listens on any more.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await client.call('webhooks.add', { name: 'nowhere', url: `http://127.0.0.1:${port}/hook` });
    const down = await client.call('notify.test', { webhook: 'nowhere' });
    expect(down.ok).toBe(false);
    expect(down.answer).toMatch(/^ECONNREFUSED/);
    await client.call('webhooks.remove', { name: 'chat' });
    expect((await client.call('webhooks.list', {})).map((w) => w.name)).toEqual(['nowhere', 'ops']);
  });
});
