/**
 * Desktop app: run this data folder's scheduler as an operating-system
 * service (it keeps firing jobs when the app is closed or the user signs
 * out), or give it back to the app.
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { LocalServiceInfo } from '../../../shared/ipc';
import { errorText } from '../lib/errors';
import { useConnectionStore } from '../stores/connectionStore';
import { toast } from '../stores/toastStore';
import { Dialog } from './common';

export function ServiceDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [info, setInfo] = useState<LocalServiceInfo | null>(null);
  const [port, setPort] = useState('7070');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!open) return;
    setError(null);
    useConnectionStore
      .getState()
      .serviceInfo()
      .then((i) => {
        setInfo(i);
        setPort(String(i.port));
      })
      .catch((err) => setError(errorText(err)));
  }, [open]);

  const act = async (what: string, fn: () => Promise<LocalServiceInfo>, done: string) => {
    setBusy(what);
    setError(null);
    try {
      setInfo(await fn());
      toast.success(done);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(null);
    }
  };
  const install = (e: FormEvent) => {
    e.preventDefault();
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1024 || n > 65535) return setError('Port: a whole number from 1024 to 65535');
    void act('install', () => useConnectionStore.getState().installService(n), 'Service installed: it schedules this data folder now');
  };

  return (
    <Dialog open={open} title="Run as a service" onClose={onClose} footer={<button type="button" className="btn" onClick={onClose}>Done</button>}>
      <p className="muted">
        As a service, this computer keeps firing jobs when Jobdeck is closed or you sign out. The app then connects to the service (over
        loopback, with a token of its own) instead of scheduling itself.
      </p>
      {!info && !error && <p className="muted">Asking the service manager…</p>}
      {info && !info.available && (
        <div className="alert" role="status">
          A service cannot be installed here: {info.reason}
        </div>
      )}
      {info?.available && (
        <dl className="kv">
          <dt>State</dt>
          <dd data-testid="service-state">{info.installed ? info.state : 'not installed'}</dd>
          {info.url && (
            <>
              <dt>Address</dt>
              <dd className="mono">{info.url}</dd>
            </>
          )}
        </dl>
      )}
      {info?.available && !info.installed && (
        <form onSubmit={install} className="row">
          <div className="field">
            <label htmlFor="svc-port">Port</label>
            <input id="svc-port" className="input mono" inputMode="numeric" value={port} onChange={(e) => setPort(e.target.value)} />
          </div>
          <button type="submit" className="btn primary" disabled={busy !== null}>
            {busy === 'install' ? 'Installing…' : 'Install service'}
          </button>
        </form>
      )}
      {info?.installed && (
        <button
          type="button"
          className="btn danger"
          disabled={busy !== null}
          onClick={() => void act('uninstall', () => useConnectionStore.getState().uninstallService(), 'Service removed: the app schedules this data folder again')}
        >
          {busy === 'uninstall' ? 'Removing…' : 'Remove service'}
        </button>
      )}
      {error && (
        <div className="alert" role="alert">
          {error}
        </div>
      )}
    </Dialog>
  );
}
