/**
 * The operating system's keychain, for the remote CLI's saved tokens: the
 * Secret Service through `secret-tool` (Linux desktops: GNOME Keyring,
 * KWallet), the login keychain through `security` (macOS), the Credential
 * Locker through PowerShell (Windows). Tokens go to these programs on
 * standard input, never on a command line (other users can read those).
 * Where none answers, the caller keeps tokens in its own private file.
 */
import { spawnSync } from 'node:child_process';

export interface Keychain {
  /** How the keychain is named to the user. */
  readonly name: string;
  get(server: string): string | null;
  set(server: string, token: string): void;
  delete(server: string): void;
}

const SERVICE = 'jobdeck';

function run(program: string, args: string[], input = ''): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(program, args, { input, encoding: 'utf8', timeout: 15_000 });
  if (r.error) return { status: null, stdout: '', stderr: r.error.message };
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function failed(what: string, r: { status: number | null; stderr: string }): Error {
  return new Error(`the keychain could not ${what}: ${r.stderr.trim() || `exit code ${r.status}`}`);
}

const secretService: Keychain = {
  name: 'the Secret Service keyring',
  get(server) {
    const r = run('secret-tool', ['lookup', 'service', SERVICE, 'server', server]);
    return r.status === 0 && r.stdout ? r.stdout : null;
  },
  set(server, token) {
    const r = run('secret-tool', ['store', `--label=Jobdeck token for ${server}`, 'service', SERVICE, 'server', server], token);
    if (r.status !== 0) throw failed('save the token', r);
  },
  delete(server) {
    run('secret-tool', ['clear', 'service', SERVICE, 'server', server]);
  },
};

/** `security -i` reads its commands from standard input, so the token is not on a command line. */
const quoteSecurity = (s: string): string => `"${s.replace(/(["\\])/g, '\\$1')}"`;
const macKeychain: Keychain = {
  name: 'the macOS login keychain',
  get(server) {
    const r = run('security', ['find-generic-password', '-s', SERVICE, '-a', server, '-w']);
    return r.status === 0 ? r.stdout.replace(/\n$/, '') || null : null;
  },
  set(server, token) {
    const r = run('security', ['-i'], `add-generic-password -U -s ${SERVICE} -a ${quoteSecurity(server)} -w ${quoteSecurity(token)}\n`);
    if (r.status !== 0 || /error/i.test(r.stderr)) throw failed('save the token', r);
  },
  delete(server) {
    run('security', ['delete-generic-password', '-s', SERVICE, '-a', server]);
  },
};

const VAULT = "[void][Windows.Security.Credentials.PasswordVault,Windows.Security.Credentials,ContentType=WindowsRuntime]; $v = New-Object Windows.Security.Credentials.PasswordVault;";
const powershell = (script: string, input = '') => run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', script], input);
const windowsVault: Keychain = {
  name: 'the Windows Credential Locker',
  get(server) {
    const r = powershell(`${VAULT} $s = [Console]::In.ReadLine(); try { $c = $v.Retrieve('${SERVICE}', $s); $c.RetrievePassword(); [Console]::Out.Write($c.Password) } catch { exit 1 }`, `${server}\n`);
    return r.status === 0 && r.stdout ? r.stdout : null;
  },
  set(server, token) {
    const r = powershell(`${VAULT} $s = [Console]::In.ReadLine(); $t = [Console]::In.ReadLine(); $v.Add((New-Object Windows.Security.Credentials.PasswordCredential('${SERVICE}', $s, $t)))`, `${server}\n${token}\n`);
    if (r.status !== 0) throw failed('save the token', r);
  },
  delete(server) {
    powershell(`${VAULT} $s = [Console]::In.ReadLine(); try { $v.Remove($v.Retrieve('${SERVICE}', $s)) } catch { }`, `${server}\n`);
  },
};

/**
 * This system's keychain if it answers now, else null. JOBDECK_KEYCHAIN=off
 * keeps tokens in the file (headless servers, CI).
 */
export function systemKeychain(env: NodeJS.ProcessEnv = process.env): Keychain | null {
  if (env.JOBDECK_KEYCHAIN === 'off') return null;
  if (process.platform === 'darwin') return run('security', ['list-keychains']).status === 0 ? macKeychain : null;
  if (process.platform === 'win32') return powershell(`${VAULT} exit 0`).status === 0 ? windowsVault : null;
  // A Secret Service needs a session bus; a lookup of nothing answers 1 with nothing said when one is there.
  if (!env.DBUS_SESSION_BUS_ADDRESS) return null;
  const probe = run('secret-tool', ['lookup', 'service', SERVICE, 'probe', 'probe']);
  return probe.status !== null && probe.stderr.trim() === '' ? secretService : null;
}
