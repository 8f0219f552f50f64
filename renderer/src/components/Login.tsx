/** The web console's sign-in: an API token from `jobdeck users add` (or a first start's one-time link). */
import { useState, type FormEvent } from 'react';
import { errorText } from '../lib/errors';
import { useConnectionStore } from '../stores/connectionStore';

export function Login() {
  const signIn = useConnectionStore((s) => s.signIn);
  const [token, setToken] = useState('');
  // A refused sign-in link says why here.
  const [error, setError] = useState<string | null>(() => useConnectionStore.getState().error);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(token);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="center-screen">
      <form className="panel login" onSubmit={submit} aria-labelledby="login-title">
        <div className="brand">
          <span className="brand-mark">J</span>
          <h2 id="login-title">Sign in to Jobdeck</h2>
        </div>
        <p className="muted small">
          Server: <span className="mono">{location.origin}</span>. Paste the API token that <span className="mono">jobdeck users add</span> printed for you.
        </p>
        <div className="field">
          <label htmlFor="token">API token</label>
          <input
            id="token"
            className="input mono"
            type="password"
            autoComplete="current-password"
            autoFocus
            value={token}
            onChange={(e) => setToken(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'login-error' : undefined}
            placeholder="jd_…"
          />
          {error && (
            <div id="login-error" className="error" role="alert">
              {error}
            </div>
          )}
        </div>
        <button className="btn primary" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
