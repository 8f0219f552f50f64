/**
 * A host app of another origin that embeds Jobdeck progress: one card with
 * its own progression render, one with the default one, for the same job
 * (they share one connection). Built by e2e/embed.spec.ts with esbuild
 * against the built package file (dist/react/jobdeck-react.js), the way an
 * app's bundler would take `jobdeck/react`.
 */
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Jobify, type JobifyOutcome, type JobifyState } from '../../renderer/embed/index';

const params = new URLSearchParams(location.search);
const server = { url: params.get('server') ?? '', token: params.get('token') ?? '' };
const jobId = Number(params.get('job'));

declare global {
  interface Window {
    jobifyLog: { done: JobifyOutcome[]; errors: string[]; connections: string[] };
  }
}
window.jobifyLog = { done: [], errors: [], connections: [] };

function MyProgression({ state }: { state: JobifyState }) {
  useEffect(() => {
    const seen = window.jobifyLog.connections;
    if (seen[seen.length - 1] !== state.connection) seen.push(state.connection);
  }, [state.connection]);
  return (
    <div className="mine" data-testid="progression" data-status={state.status} data-percent={state.percent ?? ''} data-connection={state.connection} data-run={state.run.id}>
      <strong>
        {state.run.jobName}: {state.message}
      </strong>
      <span>{state.percent === null ? 'starting…' : `${Math.round(state.percent)}% done`}</span>
      {state.connection !== 'open' && <span className="offline">connection lost, reconnecting…</span>}
      {state.tasks && (
        <ol>
          {state.tasks.map((t) => (
            <li key={t.path} data-path={t.path} data-status={t.status} style={{ marginLeft: (t.depth - 1) * 16 }}>
              {t.name}: {t.status}
              {t.executionTime !== null && ` (started ${new Date(t.executionTime).toISOString().slice(11, 23)})`}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

function App() {
  const [done, setDone] = useState(0);
  return (
    <main>
      <h1>Invoices</h1>
      <section className="card" aria-label="With its own progression">
        <h2>Batch of March</h2>
        <Jobify
          jobId={jobId}
          server={server}
          progression={(state) => <MyProgression state={state} />}
          component={() => (
            <p data-testid="component">
              The batch is ready: 42 invoices. {done > 0 && <span data-testid="refreshed">(refreshed after {done} run{done > 1 ? 's' : ''})</span>}
            </p>
          )}
          onDone={(outcome) => {
            window.jobifyLog.done.push(outcome);
            setDone((n) => n + 1);
          }}
          onError={(message) => window.jobifyLog.errors.push(message)}
        />
      </section>
      <section className="card" aria-label="With the default progression">
        <h2>Same job, default progression</h2>
        <Jobify jobId={jobId} server={server} component={() => <p data-testid="component-default">Nothing running.</p>} />
      </section>
    </main>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
