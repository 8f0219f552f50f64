/** `jobdeck users …` and `jobdeck tokens …`: who may use `jobdeck serve`. */
import { Option, type Command } from 'commander';
import { ROLES } from '../../../shared/model/misc';
import { print, printJson, withEngine, type GlobalOptions } from '../context';
import { localTime, table } from '../format';

export function registerUsers(program: Command, globals: () => GlobalOptions): void {
  const users = program.command('users').description('users of jobdeck serve and their roles');

  users
    .command('add <name>')
    .description('add a user and print their API token (shown once)')
    .addOption(new Option('--role <role>', 'superadmin (edit jobs, manage users), admin (run, cancel, download), viewer (read)').choices(ROLES).makeOptionMandatory())
    .action(async (name: string, o: { role: (typeof ROLES)[number] }) => {
      await withEngine(globals(), async (client) => {
        const { user, token } = await client.call('users.add', { name, role: o.role });
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
              u.tokens.map((t) => `${t.id}${t.revokedAt ? ' (revoked)' : t.lastUsedAt ? ` (used ${localTime(t.lastUsedAt)})` : ''}`).join(', '),
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
    .action(async (user: string) => {
      await withEngine(globals(), async (client) => {
        const { id, token } = await client.call('tokens.create', { name: user });
        process.stderr.write(`New token ${id} for ${user}, shown only now:\n`);
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
