/** `jobdeck login URL`, `jobdeck logout URL`, `jobdeck logins`: saved tokens for --server. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createHttpClient } from '../../../shared/client/httpClient';
import { print, UsageError } from '../context';
import { forgetLogin, saveLogin, savedServers } from '../savedLogins';
import { localTime, table } from '../format';

function serverUrl(text: string): string {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new UsageError(`"${text}" is not a URL such as https://jobs.example.com`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`"${text}" is not an http:// or https:// URL`);
  return parsed.origin + parsed.pathname.replace(/\/+$/, '');
}

export function registerLogin(program: Command): void {
  program
    .command('login <url>')
    .description('check an API token against a jobdeck serve and save it for --server URL (read from --token, JOBDECK_TOKEN or standard input; never printed)')
    .option('--token <token>', 'the API token (prefer standard input: command lines are visible to other users)')
    .action(async (text: string, o: { token?: string }) => {
      const url = serverUrl(text);
      if (!o.token && !process.env.JOBDECK_TOKEN && process.stdin.isTTY) process.stderr.write('Paste the API token, then press Enter and Ctrl+D:\n');
      const token = (o.token || process.env.JOBDECK_TOKEN || readFileSync(0, 'utf8').split('\n')[0] || '').trim();
      if (!token) throw new UsageError('give the API token on standard input, with --token, or in JOBDECK_TOKEN');
      const client = createHttpClient({ baseUrl: url, token });
      const me = await client.call('auth.whoami', {}).catch((err: Error) => {
        // Said with the server's name, like every --server error (a refused token exits 1).
        throw Object.assign(err, { server: url });
      });
      const where = saveLogin(url, token, me.name);
      print(`Logged in to ${url} as ${me.name} (${me.role}); the token is saved in ${where}.`);
    });

  program
    .command('logout <url>')
    .description('forget the token saved for a server')
    .action((text: string) => {
      const url = serverUrl(text);
      if (!forgetLogin(url)) throw new UsageError(`no login is saved for ${url}`);
      print(`Forgot the token for ${url}.`);
    });

  program
    .command('logins')
    .description('servers with a saved token (the tokens are not shown)')
    .action(() => {
      print(table(['SERVER', 'USER', 'SAVED', 'TOKEN IN'], savedServers().map((s) => [s.url, s.user, localTime(s.savedAt), s.where])));
    });
}
