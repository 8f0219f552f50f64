/** `jobdeck recipients …`, `jobdeck webhooks …` and `jobdeck notify …`: who hears of what, and whether it arrived. */
import type { Command } from 'commander';
import { WEBHOOK_STYLES } from '../../../shared/model/notify';
import { print, printJson, UsageError, withEngine, type GlobalOptions } from '../context';
import { localTime, table } from '../format';

const addresses = (list: string[]): string[] => list.flatMap((a) => a.split(/[\s,;]+/)).filter(Boolean);

export function registerNotify(program: Command, globals: () => GlobalOptions): void {
  const recipients = program.command('recipients').description('named groups of email addresses and webhooks (webhook:NAME)');
  recipients
    .command('list')
    .description('every group with its members')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      await withEngine(globals(), async (client) => {
        const groups = await client.call('recipients.list', {});
        if (o.json) return printJson(groups);
        print(table(['GROUP', 'MEMBERS'], groups.map((g) => [g.name, g.members.join(', ')])));
      });
    });
  recipients
    .command('add <group> <members...>')
    .description('add members to a group (made if new)')
    .action(async (name: string, members: string[]) => {
      await withEngine(globals(), async (client) => {
        const current = (await client.call('recipients.list', {})).find((g) => g.name.toLowerCase() === name.toLowerCase());
        const group = await client.call('recipients.set', { name: current?.name ?? name, members: [...(current?.members ?? []), ...addresses(members)] });
        print(`Group ${group.name}: ${group.members.join(', ')}`);
      });
    });
  recipients
    .command('remove <group> [members...]')
    .description('remove members from a group, or (without members) the group itself')
    .action(async (name: string, members: string[]) => {
      await withEngine(globals(), async (client) => {
        if (!members.length) {
          await client.call('recipients.remove', { name });
          return print(`Removed group ${name}.`);
        }
        const current = (await client.call('recipients.list', {})).find((g) => g.name.toLowerCase() === name.toLowerCase());
        if (!current) throw new UsageError(`no recipient group is named "${name}"`);
        const drop = new Set(addresses(members).map((m) => m.toLowerCase()));
        const group = await client.call('recipients.set', { name: current.name, members: current.members.filter((m) => !drop.has(m.toLowerCase())) });
        print(`Group ${group.name}: ${group.members.join(', ') || '(no members)'}`);
      });
    });

  const webhooks = program.command('webhooks').description('webhooks notifications are posted to (signed the Standard Webhooks way)');
  webhooks
    .command('list')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      await withEngine(globals(), async (client) => {
        const list = await client.call('webhooks.list', {});
        if (o.json) return printJson(list);
        print(table(['NAME', 'STYLE', 'URL', 'ADDED'], list.map((w) => [w.name, w.style, w.url, localTime(w.createdAt)])));
      });
    });
  webhooks
    .command('add <name> <url>')
    .description('add a webhook and print its signing secret (shown once)')
    .option('--style <style>', `body shape: ${WEBHOOK_STYLES.join(', ')}`, 'json')
    .action(async (name: string, url: string, o: { style: string }) => {
      if (!(WEBHOOK_STYLES as readonly string[]).includes(o.style)) throw new UsageError(`--style: one of ${WEBHOOK_STYLES.join(', ')}`);
      await withEngine(globals(), async (client) => {
        const { webhook, secret } = await client.call('webhooks.add', { name, url, style: o.style as (typeof WEBHOOK_STYLES)[number] });
        process.stderr.write(`Added webhook ${webhook.name}. Its signing secret, shown only now (the receiver verifies with it):\n`);
        print(secret);
      });
    });
  webhooks
    .command('remove <name>')
    .action(async (name: string) => {
      await withEngine(globals(), async (client) => {
        await client.call('webhooks.remove', { name });
        print(`Removed webhook ${name}.`);
      });
    });

  const notify = program.command('notify').description('notification settings, test messages and the delivery log');
  notify
    .command('smtp [url]')
    .description('the SMTP server mail goes through: smtp://user:password@host:587 (STARTTLS when offered) or smtps://host:465')
    .option('--from <address>', 'sender address (required with a URL)')
    .option('--allow-self-signed', "accept the server's self-signed certificate")
    .option('--clear', 'forget the stored server (JOBDECK_SMTP_URL applies again)')
    .action(async (url: string | undefined, o: { from?: string; allowSelfSigned?: boolean; clear?: boolean }) => {
      if (!url && !o.clear) throw new UsageError('give an SMTP URL, or --clear');
      if (url && !o.from) throw new UsageError('--from ADDRESS is required with an SMTP URL');
      await withEngine(globals(), async (client) => {
        const s = await client.call('notify.configure', { smtp: o.clear ? null : { url: url!, from: o.from!, ...(o.allowSelfSigned ? { allowSelfSigned: true } : {}) } });
        print(s.smtp ? `SMTP: ${s.smtp.url}, from ${s.smtp.from}` : `SMTP: none stored${s.smtpFromEnvironment ? ' (JOBDECK_SMTP_URL is used)' : ''}`);
      });
    });
  notify
    .command('url <url>')
    .description("the console's address, for links in messages (e.g. https://jobdeck.example.com)")
    .action(async (url: string) => {
      await withEngine(globals(), async (client) => {
        await client.call('notify.configure', { publicUrl: url });
        print(`Links point at ${url}.`);
      });
    });
  notify
    .command('test')
    .description("send a test message now and print the server's answer")
    .option('--email <address>', 'to this address')
    .option('--webhook <name>', 'to this webhook')
    .action(async (o: { email?: string; webhook?: string }) => {
      if ((o.email === undefined) === (o.webhook === undefined)) throw new UsageError('give --email ADDRESS or --webhook NAME');
      await withEngine(globals(), async (client) => {
        const answer = await client.call('notify.test', o.email !== undefined ? { email: o.email } : { webhook: o.webhook! });
        if (answer.ok) print(`Delivered: ${answer.answer}`);
        else {
          process.stderr.write(`Not delivered: ${answer.answer}\n`);
          process.exitCode = 1;
        }
      });
    });
  notify
    .command('log')
    .description('the delivery log, newest first: sent, retrying (pending) or failed, with the last answer')
    .option('--run <id>', 'messages about one run')
    .option('--status <status>', 'pending, sending, sent or failed')
    .option('--channel <channel>', 'email, webhook or desktop')
    .option('--limit <n>', 'at most N', '50')
    .option('--json', 'print JSON')
    .action(async (o: { run?: string; status?: string; channel?: string; limit: string; json?: boolean }) => {
      await withEngine(globals(), async (client) => {
        const list = await client.call('notify.deliveries', {
          ...(o.run ? { runId: Number(o.run) } : {}),
          ...(o.status ? { status: o.status as 'pending' } : {}),
          ...(o.channel ? { channel: o.channel as 'email' } : {}),
          limit: Number(o.limit),
        });
        if (o.json) return printJson(list);
        print(
          table(
            ['ID', 'EVENT', 'RUN', 'TO', 'STATUS', 'TRIES', 'WHEN', 'ANSWER'],
            list.map((d) => [String(d.id), d.event, d.runId === null ? '' : String(d.runId), d.target, d.status, String(d.attempts), localTime(d.sentAt ?? d.createdAt), d.answer ?? '']),
          ),
        );
      });
    });

  program
    .command('report')
    .description('reports Jobdeck mails')
    .command('jobs')
    .description('mail the list of jobs in next-execution order (disabled and archived last) with the JSON export attached')
    .requiredOption('--email <targets>', 'addresses and recipient groups, comma-separated')
    .action(async (o: { email: string }) => {
      await withEngine(globals(), async (client) => {
        const sent = await client.call('notify.jobList', { to: addresses([o.email]) });
        if (sent.ok) print(`Mailed the list of ${sent.jobs} job${sent.jobs === 1 ? '' : 's'} to ${sent.to.join(', ')}: ${sent.answer}`);
        else {
          process.stderr.write(`Not delivered: ${sent.answer}\n`);
          process.exitCode = 1;
        }
      });
    });
}
