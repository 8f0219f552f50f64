/** The console: sign-in, the header with the scheduler bar, and the screens. */
import { ConnectionBanner } from './components/ConnectionBanner';
import { lazy, Suspense, useEffect, useState } from 'react';
import { Toasts } from './components/common';
import { ConnectionMenu } from './components/ConnectionMenu';
import { Login } from './components/Login';
import { SchedulerBar } from './components/SchedulerBar';
import { AuditScreen } from './screens/AuditScreen';
import { JobsScreen } from './screens/JobsScreen';
import { NodesScreen } from './screens/NodesScreen';
import { NotificationsScreen } from './screens/NotificationsScreen';
import { RunDetail } from './screens/RunDetail';
import { RunsScreen } from './screens/RunsScreen';
import { useConnectionStore } from './stores/connectionStore';
import { useJobsStore } from './stores/jobsStore';
import { startLiveFeed } from './stores/live';
import { hrefOf, useRouteStore, type Route } from './stores/routeStore';
import { useSchedulerStore } from './stores/schedulerStore';

// The editor brings CodeMirror and a diff library, the dashboard and the job page recharts:
// loaded when first opened, so the job list and a run's log do not wait for them.
const DashboardScreen = lazy(() => import('./screens/DashboardScreen').then((m) => ({ default: m.DashboardScreen })));
const JobEditor = lazy(() => import('./screens/JobEditor').then((m) => ({ default: m.JobEditor })));
const JobPage = lazy(() => import('./screens/JobPage').then((m) => ({ default: m.JobPage })));

function Screen({ route }: { route: Route }) {
  switch (route.name) {
    case 'dashboard':
      return <DashboardScreen />;
    case 'jobs':
      return <JobsScreen />;
    case 'job-new':
      return <JobEditor />;
    case 'job':
      return <JobPage id={route.id} tab={route.tab} />;
    case 'runs':
      return <RunsScreen jobId={null} />;
    case 'run':
      return <RunDetail id={route.id} />;
    case 'audit':
      return <AuditScreen />;
    case 'nodes':
      return <NodesScreen />;
    case 'notifications':
      return <NotificationsScreen />;
  }
}

const section = (r: Route) =>
  r.name === 'run' || r.name === 'runs' ? 'runs' : r.name === 'audit' || r.name === 'notifications' || r.name === 'nodes' || r.name === 'dashboard' ? r.name : 'jobs';

function Shell() {
  const route = useRouteStore((s) => s.route);
  const client = useConnectionStore((s) => s.client);
  // On the job list, its first page is asked for before anything renders (load() is shared by the
  // screen's own call): the header's first render makes the page's first Intl formatter, ~70 ms in
  // Chromium, and the answer is on its way meanwhile instead of after.
  useState(() => {
    if (useRouteStore.getState().route.name === 'jobs') void useJobsStore.getState().load();
  });
  useEffect(() => {
    // The job list loads with the screens that show it; the run page does not wait for 10,000 jobs.
    useJobsStore.setState({ loaded: false, jobs: [] });
    void useSchedulerStore.getState().load();
    return startLiveFeed();
  }, [client]);
  // A file dropped beside a drop zone would make the browser open it, leaving the console (and unsaved edits).
  useEffect(() => {
    const guard = (e: DragEvent) => {
      if (e.defaultPrevented || !e.dataTransfer || !Array.from(e.dataTransfer.types).includes('Files')) return;
      e.preventDefault();
      if (e.type === 'dragover') e.dataTransfer.dropEffect = 'none';
    };
    window.addEventListener('dragover', guard);
    window.addEventListener('drop', guard);
    return () => {
      window.removeEventListener('dragover', guard);
      window.removeEventListener('drop', guard);
    };
  }, []);
  const current = section(route);
  const stale = useConnectionStore((s) => s.live === 'closed');
  const link = (name: 'dashboard' | 'jobs' | 'runs' | 'audit' | 'notifications' | 'nodes', text: string) => (
    <a href={hrefOf({ name } as Route)} aria-current={current === name ? 'page' : undefined}>
      {text}
    </a>
  );
  return (
    <div className="app">
      <header className="header">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            J
          </span>
          Jobdeck
        </div>
        <nav className="nav" aria-label="Main">
          {link('dashboard', 'Dashboard')}
          {link('jobs', 'Jobs')}
          {link('runs', 'Runs')}
          {link('audit', 'Audit log')}
          {link('notifications', 'Notifications')}
          {link('nodes', 'Nodes')}
        </nav>
        <div className="spacer" />
        <SchedulerBar />
        <ConnectionMenu />
      </header>
      <ConnectionBanner />
      <main className="main" id="main" data-stale={stale || undefined} aria-busy={stale || undefined}>
        <Suspense fallback={<div className="muted">Loading…</div>}>
          <Screen route={route} />
        </Suspense>
      </main>
    </div>
  );
}

export function App() {
  const status = useConnectionStore((s) => s.status);
  const error = useConnectionStore((s) => s.error);
  const target = useConnectionStore((s) => s.target);
  const init = useConnectionStore((s) => s.init);
  const desktop = useConnectionStore((s) => s.desktop);
  useEffect(() => {
    void init();
  }, [init]);
  let body;
  if (status === 'starting') body = <div className="center-screen muted">Connecting…</div>;
  else if (status === 'signed-out') body = <Login />;
  else if (status === 'unreachable')
    body = (
      <div className="center-screen">
        <div className="panel login" role="alert">
          <h2>Cannot reach the engine</h2>
          <p>{error}</p>
          <p className="muted small">Target: {target}</p>
          <div className="row">
            <button type="button" className="btn primary" onClick={() => void init()}>
              Try again
            </button>
            {desktop && (
              <button type="button" className="btn" onClick={() => void useConnectionStore.getState().useProfile(null)}>
                Use the local engine
              </button>
            )}
          </div>
        </div>
      </div>
    );
  else body = <Shell />;
  return (
    <div data-app-state={status === 'ready' ? 'ready' : status} style={{ height: '100%' }}>
      {body}
      <Toasts />
    </div>
  );
}
