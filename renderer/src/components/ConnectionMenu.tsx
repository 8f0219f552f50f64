/**
 * Which engine this window talks to and who is signed in. In the desktop app
 * it also switches between the local engine and remote server profiles.
 */
import { useState, type FormEvent } from 'react';
import { errorText } from '../lib/errors';
import { formatTime } from '../lib/format';
import { useConnectionStore } from '../stores/connectionStore';
import { toast } from '../stores/toastStore';
import { Dialog } from './common';
import { ServiceDialog } from './ServiceDialog';

export function ConnectionMenu() {
  const { target, user, live, desktop, profiles, profileId } = useConnectionStore();
  const { signOut, useProfile } = useConnectionStore.getState();
  const [editing, setEditing] = useState(false);
  const [service, setService] = useState(false);
  return (
    <div className="row small" aria-label="Connection">
      <span className={`dot ${live === 'open' ? '' : live === 'connecting' ? 'paused' : 'down'}`} aria-hidden="true" />
      <span title={live === 'open' ? 'Live updates on' : 'Live updates reconnecting'} data-testid="connection-target">
        {desktop ? (profileId ? target : 'Local engine') : target === 'this server' ? location.host : target}
      </span>
      {desktop && (
        <>
          <label className="sr-only" htmlFor="profile">
            Engine
          </label>
          <select
            id="profile"
            className="input"
            value={profileId ?? ''}
            onChange={(e) => void useProfile(e.target.value || null).catch((err) => toast.error(errorText(err)))}
          >
            <option value="">Local engine</option>
            {profiles.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.url})
              </option>
            ))}
          </select>
          <button type="button" className="btn small" onClick={() => setEditing(true)}>
            Servers…
          </button>
          <ProfilesDialog open={editing} onClose={() => setEditing(false)} />
          <button type="button" className="btn small" onClick={() => setService(true)}>
            Service…
          </button>
          <ServiceDialog open={service} onClose={() => setService(false)} />
        </>
      )}
      {user && (
        <span>
          <strong>{user.name}</strong> <span className="muted">({user.role})</span>
          {user.expiresAt && (
            <span className="muted" title={`Your ${desktop ? 'token' : 'session'} stops working at ${formatTime(user.expiresAt)}; sign in again then.`}>
              {' '}
              · until {formatTime(user.expiresAt)}
            </span>
          )}
        </span>
      )}
      {!desktop && (
        <button type="button" className="btn small" onClick={() => void signOut()}>
          Sign out
        </button>
      )}
    </div>
  );
}

function ProfilesDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const profiles = useConnectionStore((s) => s.profiles);
  const { saveProfile, removeProfile } = useConnectionStore.getState();
  const [form, setForm] = useState({ id: '', name: '', url: '', token: '' });
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await saveProfile({ id: form.id || undefined, name: form.name, url: form.url, token: form.token || undefined });
      setForm({ id: '', name: '', url: '', token: '' });
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <Dialog open={open} title="Remote servers" onClose={onClose} footer={<button type="button" className="btn" onClick={onClose}>Done</button>}>
      {profiles.length === 0 && <p className="muted">No servers yet. Add one to manage the jobs of a machine running jobdeck serve.</p>}
      {profiles.map((p) => (
        <div key={p.id} className="row">
          <span className="grow">
            <strong>{p.name}</strong> <span className="mono small">{p.url}</span> {!p.hasToken && <span className="badge CANCELLED">no token</span>}
          </span>
          <button type="button" className="btn small" onClick={() => setForm({ id: p.id, name: p.name, url: p.url, token: '' })}>
            Edit
          </button>
          <button type="button" className="btn small danger" onClick={() => void removeProfile(p.id).catch((err) => setError(errorText(err)))}>
            Remove
          </button>
        </div>
      ))}
      <form onSubmit={submit} className="col" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
        <div className="field">
          <label htmlFor="pf-name">Name</label>
          <input id="pf-name" className="input" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="pf-url">URL</label>
          <input id="pf-url" className="input mono" placeholder="https://jobs.example.com:7070" value={form.url} onChange={(e) => setForm({ ...form, url: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="pf-token">API token {form.id && <span className="muted">(leave empty to keep the stored one)</span>}</label>
          <input id="pf-token" className="input mono" type="password" value={form.token} onChange={(e) => setForm({ ...form, token: e.target.value })} />
        </div>
        {error && <div className="alert" role="alert">{error}</div>}
        <div className="row">
          <button type="submit" className="btn primary">
            {form.id ? 'Save server' : 'Add server'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
