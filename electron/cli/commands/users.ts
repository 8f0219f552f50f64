/** `jobdeck users …` and `jobdeck tokens …`: who may use `jobdeck serve`. */
import { Option, type Command } from 'commander';
import { ROLES } from '../../../shared/model/misc';
import { print, printJson, UsageError, withEngine, type GlobalOptions } from '../context';
import { localTime, table } from '../format';

/** "30d", "12h", "90m", "3600s" (or bare seconds) as seconds. */
export function parseDuration(option: string, text: string): number {
  const m = /^(\d+)\s*([smhdw]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`${option}: expected a duration such as 30d, 12h or 90m, not "${text}"`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[m[2]! as '' | 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}

/** A token's state in the users list: revoked, expired, until when, last used. */
function tokenState(t: { revokedAt: string | null; expiresAt: string | null; lastUsedAt: string | null }): string {
  if (t.revokedAt) return ' (revoked)';
  const parts: string[] = [];
  if (t.expiresAt) parts.push(Date.parse(t.expiresAt) <= Date.now() ? 'expired' : `until ${localTime(t.expiresAt)}`);
  if (t.lastUsedAt) parts.push(`used ${localTime(t.lastUsedAt)}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

export function registerUsers(program: Command, globals: () => GlobalOptions): void {
  const users = program.command('users').description('users of jobdeck serve and their roles');

  users
    .command('add <name>')
    .description('add a user and print their API token (shown once)')
    .addOption(new Option('--role <role>', 'superadmin (edit jobs, manage users), admin (run, cancel, download), viewer (read)').choices(ROLES).makeOptionMandatory())
    .option('--expires <duration>', 'the token stops working after this long: 30d, 12h, 90m (default: never)')
    .action(async (name: string, o: { role: (typeof ROLES)[number]; expires?: string }) => {
      await withEngine(globals(), async (client) => {
        const { user, token } = await client.call('users.add', { name, role: o.role, expiresInSeconds: o.expires ? parseDuration('--expires', o.expires) : undefined });
        process.stderr.write(`Added ${user.name} (${user.role}). API token, shown only now; keep it safe:\n`);
        print(token);
      });
    });

  users
    .command('list')
    .description('users, roles and token ids')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      await withEngine(globals(), async (client) => {
        const list = await client.call('users.list', {});
        if (o.json) return printJson(list);
        if (list.length === 0) return print('No users. Add one: jobdeck users add NAME --role superadmin');
        print(
          table(
            ['NAME', 'ROLE', 'CREATED', 'TOKENS'],
            list.map((u) => [
              u.name,
              u.role,
              localTime(u.createdAt),
              u.tokens.map((t) => `${t.id}${tokenState(t)}`).join(', '),
            ]),
          ),
        );
      });
    });

  users
    .command('remove <name>')
    .description('remove a user; their tokens stop working at once')
    .action(async (name: string) => {
      await withEngine(globals(), async (client) => {
        await client.call('users.remove', { name });
        print(`Removed ${name}.`);
      });
    });

  const tokens = program.command('tokens').description('API tokens');
  tokens
    .command('create <user>')
    .description('issue another token for a user (shown once)')
    .option('--expires <duration>', 'the token stops working after this long: 30d, 12h, 90m (default: never)')
    .action(async (user: string, o: { expires?: string }) => {
      await withEngine(globals(), async (client) => {
        const { id, token, expiresAt } = await client.call('tokens.create', { name: user, expiresInSeconds: o.expires ? parseDuration('--expires', o.expires) : undefined });
        process.stderr.write(`New token ${id} for ${user}${expiresAt ? ` (until ${localTime(expiresAt)})` : ''}, shown only now:\n`);
        print(token);
      });
    });
  tokens
    .command('revoke <id>')
    .description('revoke a token by its id (see users list)')
    .action(async (id: string) => {
      await withEngine(globals(), async (client) => {
        await client.call('tokens.revoke', { tokenId: id });
        print(`Revoked token ${id}.`);
      });
    });
}
