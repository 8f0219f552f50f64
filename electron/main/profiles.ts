/**
 * Remote server profiles (name, URL, token), kept in the app's data folder.
 * Tokens are encrypted with the OS keychain (Electron's safeStorage) and
 * never sent to the renderer.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { JobdeckError } from '../../shared/errors';
import type { ProfileInfo, ProfileInput } from '../../shared/ipc';
import type { SecretBox } from './ipcTypes';

interface StoredProfile {
  id: string;
  name: string;
  url: string;
  /** base64 of the encrypted token. */
  token: string | null;
}

export const profileInputSchema = z.strictObject({
  id: z.string().max(64).optional(),
  name: z.string().trim().min(1, 'give the server a name').max(100),
  url: z
    .string()
    .trim()
    .max(500)
    .refine((u) => {
      try {
        const p = new URL(u);
        return (p.protocol === 'http:' || p.protocol === 'https:') && !p.username && !p.password;
      } catch {
        return false;
      }
    }, 'must be an http:// or https:// URL, such as https://jobs.example.com:7070'),
  token: z.string().trim().min(8, 'that is not an API token').max(200).optional(),
});

export class ProfileStore {
  private readonly file: string;

  constructor(
    dir: string,
    private readonly secrets: SecretBox,
  ) {
    this.file = join(dir, 'profiles.json');
  }

  private read(): StoredProfile[] {
    if (!existsSync(this.file)) return [];
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as StoredProfile[];
    } catch {
      throw new JobdeckError('INTERNAL', `${this.file} is not readable JSON; fix or remove it`);
    }
  }

  private write(list: StoredProfile[]): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(list, null, 2), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  list(): ProfileInfo[] {
    return this.read().map((p) => ({ id: p.id, name: p.name, url: p.url, hasToken: p.token !== null }));
  }

  save(input: ProfileInput): ProfileInfo {
    const parsed = profileInputSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = String(issue.path[0] ?? '');
      throw new JobdeckError('VALIDATION_FAILED', `${field}: ${issue.message}`, field);
    }
    const { id, name, url, token } = parsed.data;
    const list = this.read();
    if (list.some((p) => p.name.toLowerCase() === name.toLowerCase() && p.id !== id)) {
      throw new JobdeckError('NAME_TAKEN', `a server named "${name}" already exists`, 'name');
    }
    let encrypted: string | null | undefined;
    if (token !== undefined) {
      if (!this.secrets.isEncryptionAvailable()) {
        throw new JobdeckError('UNAVAILABLE', 'the system keychain is not available, so the token cannot be stored safely', 'token');
      }
      encrypted = this.secrets.encryptString(token).toString('base64');
    }
    const existing = id ? list.find((p) => p.id === id) : undefined;
    if (id && !existing) throw new JobdeckError('NOT_FOUND', `no server profile ${id}`, 'id');
    const profile: StoredProfile = {
      id: existing?.id ?? randomUUID(),
      name,
      url: url.replace(/\/+$/, ''),
      token: encrypted !== undefined ? encrypted : (existing?.token ?? null),
    };
    this.write(existing ? list.map((p) => (p.id === profile.id ? profile : p)) : [...list, profile]);
    return { id: profile.id, name: profile.name, url: profile.url, hasToken: profile.token !== null };
  }

  remove(id: string): void {
    const list = this.read();
    if (!list.some((p) => p.id === id)) throw new JobdeckError('NOT_FOUND', `no server profile ${id}`, 'id');
    this.write(list.filter((p) => p.id !== id));
  }

  /** A profile with its token decrypted (main process only). */
  get(id: string): { id: string; name: string; url: string; token: string | null } {
    const p = this.read().find((x) => x.id === id);
    if (!p) throw new JobdeckError('NOT_FOUND', `no server profile ${id}`, 'id');
    return { id: p.id, name: p.name, url: p.url, token: p.token ? this.secrets.decryptString(Buffer.from(p.token, 'base64')) : null };
  }
}
