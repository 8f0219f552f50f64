/** SMTP server and the console address for links (saved by superadmins), and a test mail with the server's answer. */
import { useEffect, useState } from 'react';
import { connectionSelectors, useConnectionStore } from '../../stores/connectionStore';
import { useNotifyStore } from '../../stores/notifyStore';
import { Field } from '../jobEditor/Field';
import { TestAnswerLine } from './TestAnswerLine';

export function SmtpPanel() {
  const settings = useNotifyStore((s) => s.settings);
  const error = useNotifyStore((s) => s.errors.settings);
  const fields = useNotifyStore((s) => s.fields.settings) ?? {};
  const busy = useNotifyStore((s) => s.busy);
  const tested = useNotifyStore((s) => s.tests.email);
  const testFields = useNotifyStore((s) => s.fields.test) ?? {};
  const testError = useNotifyStore((s) => s.errors.test);
  const { saveSmtp, savePublicUrl, test } = useNotifyStore.getState();
  const isSuper = useConnectionStore(connectionSelectors.can('superadmin'));
  const [url, setUrl] = useState('');
  const [from, setFrom] = useState('');
  const [selfSigned, setSelfSigned] = useState(false);
  const [publicUrl, setPublicUrl] = useState('');
  const [to, setTo] = useState('');
  const [local, setLocal] = useState<Record<string, string>>({});

  // The form follows what the server holds (after a load or a save).
  useEffect(() => {
    setUrl(settings?.smtp?.url ?? '');
    setFrom(settings?.smtp?.from ?? '');
    setSelfSigned(settings?.smtp?.allowSelfSigned ?? false);
    setPublicUrl(settings?.publicUrl ?? '');
  }, [settings]);

  const urlError = local['smtp.url'] ?? fields['smtp.url'] ?? fields.smtp;
  const fromError = local['smtp.from'] ?? fields['smtp.from'];

  // A URL saved back as shown (password ***) keeps the stored password on the server.
  const submit = () => {
    setLocal({});
    void saveSmtp({ url: url.trim(), from: from.trim(), allowSelfSigned: selfSigned });
  };

  return (
    <section className="panel panel-pad col-gap" aria-labelledby="smtp-title" data-testid="smtp-panel">
      <h3 id="smtp-title">Email</h3>
      {error && (
        <div className="alert" role="alert">
          {error}
        </div>
      )}
      {settings && !settings.smtp && (
        <p className="muted small" style={{ margin: 0 }}>
          {settings.smtpFromEnvironment ? 'No SMTP server stored: the one in JOBDECK_SMTP_URL is used.' : 'No SMTP server yet: email is not sent until one is set.'}
        </p>
      )}
      {isSuper ? (
        <>
          <form
            className="col-gap"
            noValidate
            aria-label="SMTP server"
            onSubmit={(e) => {
              e.preventDefault();
              submit();
            }}
          >
            <fieldset className="bare">
              <div className="grid-2">
                <Field id="smtp-url" label="SMTP URL" error={urlError} hint="smtp://user:password@host:587, or smtps://host:465 for TLS from the start">
                  <input
                    id="smtp-url"
                    className="input mono"
                    value={url}
                    placeholder="smtp://user:password@mail.example.com:587"
                    spellCheck={false}
                    aria-invalid={urlError ? true : undefined}
                    aria-describedby={urlError ? 'smtp-url-error' : undefined}
                    onChange={(e) => setUrl(e.target.value)}
                  />
                </Field>
                <Field id="smtp-from" label="From address" error={fromError}>
                  <input
                    id="smtp-from"
                    className="input"
                    value={from}
                    placeholder="jobdeck@example.com"
                    aria-invalid={fromError ? true : undefined}
                    aria-describedby={fromError ? 'smtp-from-error' : undefined}
                    onChange={(e) => setFrom(e.target.value)}
                  />
                </Field>
              </div>
              <label className="row small" style={{ marginTop: 8 }}>
                <input type="checkbox" checked={selfSigned} onChange={(e) => setSelfSigned(e.target.checked)} /> Accept a self-signed certificate (test servers)
              </label>
            </fieldset>
            <div className="row">
              <button type="submit" className="btn primary" disabled={busy.smtp}>
                {busy.smtp ? 'Saving…' : 'Save SMTP settings'}
              </button>
              {settings?.smtp && (
                <button type="button" className="btn" disabled={busy.smtp} onClick={() => void saveSmtp(null)}>
                  Clear
                </button>
              )}
            </div>
          </form>

          <form
            noValidate
            aria-label="Console address"
            onSubmit={(e) => {
              e.preventDefault();
              void savePublicUrl(publicUrl);
            }}
          >
            <Field id="public-url" label="Console address for links" error={fields.publicUrl} hint="Messages link to runs at this address (empty: no links)">
              <div className="inline-action">
                <input
                  id="public-url"
                  className="input"
                  value={publicUrl}
                  placeholder="https://jobdeck.example.com"
                  aria-invalid={fields.publicUrl ? true : undefined}
                  onChange={(e) => setPublicUrl(e.target.value)}
                />
                <button type="submit" className="btn" disabled={busy.publicUrl}>
                  Save address
                </button>
              </div>
            </Field>
          </form>
        </>
      ) : (
        // An admin reads the settings (and may send a test); changing them is a superadmin's.
        <>
          <dl className="kv" data-testid="smtp-readonly">
            <dt>SMTP server</dt>
            <dd className="mono">{settings?.smtp?.url ?? (settings?.smtpFromEnvironment ? 'from JOBDECK_SMTP_URL' : 'none')}</dd>
            <dt>From address</dt>
            <dd>{settings?.smtp?.from ?? '—'}</dd>
            <dt>Self-signed certificate</dt>
            <dd>{settings?.smtp?.allowSelfSigned ? 'accepted' : 'refused'}</dd>
            <dt>Console address for links</dt>
            <dd>{settings?.publicUrl || 'none: messages carry no links'}</dd>
          </dl>
          <p className="muted small" style={{ margin: 0 }}>
            Only a superadmin changes these settings.
          </p>
        </>
      )}

      <form
        className="col-gap"
        noValidate
        aria-label="Send a test mail"
        onSubmit={(e) => {
          e.preventDefault();
          void test({ email: to });
        }}
      >
        <Field id="test-email" label="Send a test mail to" error={testFields.email}>
          <div className="inline-action">
            <input
              id="test-email"
              className="input"
              type="email"
              value={to}
              placeholder="you@example.com"
              aria-invalid={testFields.email ? true : undefined}
              onChange={(e) => setTo(e.target.value)}
            />
            <button type="submit" className="btn" disabled={busy['test:email'] || to.trim() === ''}>
              {busy['test:email'] ? 'Sending…' : 'Send test'}
            </button>
          </div>
        </Field>
        {testError && !tested && (
          <div className="alert" role="alert">
            {testError}
          </div>
        )}
        {tested && <TestAnswerLine answer={tested} testId="test-email-answer" />}
      </form>
    </section>
  );
}
