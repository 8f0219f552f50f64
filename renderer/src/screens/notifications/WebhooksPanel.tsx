/** Webhooks: list with a test send each (admins), add showing the secret once, remove (superadmins). */
import { useState } from 'react';
import { WEBHOOK_STYLES, type WebhookInfo } from '../../../../shared/model/notify';
import { ConfirmDialog, CopyButton, Dialog } from '../../components/common';
import { formatTime } from '../../lib/format';
import { connectionSelectors, useConnectionStore } from '../../stores/connectionStore';
import { useNotifyStore } from '../../stores/notifyStore';
import { Field } from '../jobEditor/Field';
import { TestAnswerLine } from './TestAnswerLine';

function AddWebhook({ onDone }: { onDone: () => void }) {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [style, setStyle] = useState<WebhookInfo['style']>('json');
  const fields = useNotifyStore((s) => s.fields.webhooks) ?? {};
  const busy = useNotifyStore((s) => s.busy['webhook:add']);
  const { addWebhook } = useNotifyStore.getState();
  return (
    <form
      className="group-form"
      noValidate
      aria-label="Add a webhook"
      onSubmit={(e) => {
        e.preventDefault();
        void addWebhook({ name, url, style }).then((ok) => ok && onDone());
      }}
    >
      <div className="grid-3">
        <Field id="webhook-name" label="Name" error={fields.name}>
          <input id="webhook-name" className="input" value={name} placeholder="chat" autoFocus aria-invalid={fields.name ? true : undefined} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field id="webhook-url" label="URL" error={fields.url}>
          <input id="webhook-url" className="input" value={url} placeholder="https://hooks.example.com/…" aria-invalid={fields.url ? true : undefined} onChange={(e) => setUrl(e.target.value)} />
        </Field>
        <Field id="webhook-style" label="Body" error={fields.style}>
          <select id="webhook-style" className="input" value={style} onChange={(e) => setStyle(e.target.value as WebhookInfo['style'])}>
            {WEBHOOK_STYLES.map((s) => (
              <option key={s} value={s}>
                {s === 'json' ? 'JSON' : s === 'slack' ? 'Slack' : 'Teams'}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <div className="row">
        <button type="submit" className="btn primary small" disabled={busy}>
          Add webhook
        </button>
        <button type="button" className="btn small" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function WebhooksPanel() {
  const webhooks = useNotifyStore((s) => s.webhooks);
  const error = useNotifyStore((s) => s.errors.webhooks);
  const tests = useNotifyStore((s) => s.tests);
  const testError = useNotifyStore((s) => s.errors.test);
  const testFields = useNotifyStore((s) => s.fields.test) ?? {};
  const busy = useNotifyStore((s) => s.busy);
  const secret = useNotifyStore((s) => s.secret);
  const { test, removeWebhook, forgetSecret } = useNotifyStore.getState();
  const isSuper = useConnectionStore(connectionSelectors.can('superadmin'));
  const [adding, setAdding] = useState(false);
  const [confirm, setConfirm] = useState<string | null>(null);
  const [lastTested, setLastTested] = useState<string | null>(null);
  return (
    <section className="panel panel-pad col-gap" aria-labelledby="webhooks-title" data-testid="webhooks-panel">
      <div className="row">
        <h3 id="webhooks-title" className="grow">
          Webhooks
        </h3>
        {isSuper && !adding && (
          <button type="button" className="btn small" onClick={() => setAdding(true)}>
            Add webhook
          </button>
        )}
      </div>
      {error && (
        <div className="alert" role="alert">
          {error}
        </div>
      )}
      {adding && <AddWebhook onDone={() => setAdding(false)} />}
      {webhooks.length === 0 && !adding && (
        <p className="muted small" style={{ margin: 0 }}>
          No webhooks. Requests are signed (Standard Webhooks) with a secret shown once when the webhook is added.
        </p>
      )}
      <ul className="plain-list">
        {webhooks.map((w) => {
          const key = `webhook:${w.name}`;
          return (
            <li key={w.name} data-testid="webhook" data-webhook={w.name}>
              <div className="row">
                <strong>{w.name}</strong>
                <span className="badge QUEUED">{w.style}</span>
                <span className="grow mono small wrap" title={`added ${formatTime(w.createdAt)}`}>
                  {w.url}
                </span>
                <button
                  type="button"
                  className="btn small"
                  disabled={busy[`test:${key}`]}
                  onClick={() => {
                    setLastTested(key);
                    void test({ webhook: w.name });
                  }}
                >
                  {busy[`test:${key}`] ? 'Sending…' : 'Send test'}
                </button>
                {isSuper && (
                  <button type="button" className="btn small danger" aria-label={`Remove webhook ${w.name}`} onClick={() => setConfirm(w.name)}>
                    Remove
                  </button>
                )}
              </div>
              {tests[key] && <TestAnswerLine answer={tests[key]} testId={`test-answer-${w.name}`} />}
              {lastTested === key && !tests[key] && !busy[`test:${key}`] && (testError || testFields.webhook) && (
                <div className="error-text" role="alert">
                  {testError ?? testFields.webhook}
                </div>
              )}
            </li>
          );
        })}
      </ul>
      <Dialog
        open={secret !== null}
        title={`Webhook ${secret?.name ?? ''} added`}
        onClose={forgetSecret}
        footer={
          <button type="button" className="btn primary" onClick={forgetSecret}>
            I have kept it
          </button>
        }
      >
        <p style={{ margin: 0 }}>Its signing secret is shown this once: give it to the receiver to verify the webhook-signature header.</p>
        <div className="row secret" data-testid="webhook-secret">
          <code className="grow wrap">{secret?.secret}</code>
          {secret && <CopyButton text={secret.secret} label="Copy the secret" />}
        </div>
      </Dialog>
      <ConfirmDialog
        open={confirm !== null}
        title={`Remove webhook ${confirm ?? ''}?`}
        text="Messages for it are no longer sent; rules and groups that name it lose it."
        confirm="Remove webhook"
        danger
        onConfirm={() => confirm && void removeWebhook(confirm)}
        onClose={() => setConfirm(null)}
      />
    </section>
  );
}
