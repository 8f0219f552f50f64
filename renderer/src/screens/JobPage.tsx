/**
 * A job's page: its head (name, state, actions) over five tabs, each at its
 * own address (#/jobs/7/runs …): Overview, Runs, Script, Settings (the
 * editor, for superadmins only) and Audit. Edits in Settings survive a visit
 * to another tab; the job is read again when someone else changes it.
 */
import { useEffect, useLayoutEffect, useRef } from 'react';
import { Tabs, tabPanelProps, type TabItem } from '../components/Tabs';
import { connectionSelectors, useConnectionStore } from '../stores/connectionStore';
import { jobEditorSelectors, useJobEditorStore } from '../stores/jobEditorStore';
import { useJobPageStore } from '../stores/jobPageStore';
import { useJobsStore } from '../stores/jobsStore';
import { hrefOf, useRouteStore, type JobTab } from '../stores/routeStore';
import { AuditScreen } from './AuditScreen';
import { SettingsForm } from './jobEditor/SettingsForm';
import { JobActions } from './jobPage/JobActions';
import { OverviewTab } from './jobPage/OverviewTab';
import { ScriptTab } from './jobPage/ScriptTab';
import { RunsScreen } from './RunsScreen';
import './jobPage/jobPage.css';

const BASE = 'job';

export function JobPage({ id, tab = 'overview' }: { id: number; tab?: JobTab }) {
  const canEdit = useConnectionStore(connectionSelectors.can('superadmin'));
  const canRun = useConnectionStore(connectionSelectors.can('admin'));
  const opened = useJobEditorStore(jobEditorSelectors.openFor(id));
  const job = useJobEditorStore(jobEditorSelectors.job);
  const loadError = useJobEditorStore(jobEditorSelectors.loadError);
  const dirty = useJobEditorStore(jobEditorSelectors.dirty);
  const summary = useJobsStore((s) => s.jobs.find((j) => j.id === id));
  const navigate = useRouteStore((s) => s.navigate);
  /** Has the live list shown this job since the page opened? */
  const listed = useRef(false);

  // Before paint: the stores outlive the page, so nothing from an earlier visit is shown.
  useLayoutEffect(() => {
    listed.current = false;
    useJobEditorStore.getState().open(id);
    useJobPageStore.getState().open(id);
    return () => {
      useJobEditorStore.getState().close();
      useJobPageStore.getState().close();
    };
  }, [id]);

  // Changed elsewhere (another user, another tab, the CLI): read it again, unless edits would be lost.
  // Only a newer revision: right after our own save the list may still hold the older one.
  const stale = !!job && !!summary && summary.revision > job.revision;
  useEffect(() => {
    if (stale && !dirty) void useJobEditorStore.getState().reload({ background: true });
  }, [stale, dirty]);
  // Gone from the live list (deleted elsewhere): read it again, so the page says it no longer exists.
  useEffect(() => {
    if (summary) listed.current = true;
    else if (listed.current) {
      listed.current = false;
      void useJobEditorStore.getState().reload({ background: true });
    }
  }, [summary]);

  if (opened && loadError)
    return (
      <div className="alert" role="alert">
        {loadError}. <a href={hrefOf({ name: 'jobs' })}>Back to the jobs</a>
      </div>
    );
  if (!opened || !job) return <div className="muted">Loading…</div>;

  const tabs: TabItem<JobTab>[] = [
    { key: 'overview', label: 'Overview' },
    { key: 'runs', label: 'Runs' },
    { key: 'script', label: job.runtime === 'workflow' ? 'Workflow' : 'Script' },
    ...(canEdit ? [{ key: 'settings' as const, label: dirty ? 'Settings (unsaved)' : 'Settings' }] : []),
    { key: 'audit', label: 'Audit' },
  ];
  // The feed keeps the list's last and next run live; everything else is the job as read (the list may lag a save).
  const live = summary ? { ...job, lastRun: summary.lastRun, nextRunAt: summary.nextRunAt } : job;
  // A role without Settings lands on the Overview, with a word on who edits.
  const shown: JobTab = tab === 'settings' && !canEdit ? 'overview' : tab;

  return (
    <section className="screen job-page" aria-labelledby="job-title" data-testid="job-page" data-tab={tab}>
      <div className="screen-head">
        <h2 id="job-title">{job.name}</h2>
        {job.archived && <span className="badge archived">archived</span>}
        {!job.enabled && !job.archived && <span className="badge disabled">disabled</span>}
        <JobActions job={job} canEdit={canEdit} canRun={canRun} />
      </div>
      <Tabs base={BASE} label={`${job.name}: views`} tabs={tabs} selected={shown} onSelect={(t, byKeyboard) => navigate({ name: 'job', id, tab: t }, { replace: byKeyboard })} />
      <div {...tabPanelProps(BASE, shown)} className="job-panel">
        {tab === 'settings' && !canEdit && (
          <div className="alert info" role="note">
            Changing a job needs the superadmin role. Its settings are on the Overview and Script tabs.
          </div>
        )}
        {shown === 'overview' && <OverviewTab job={live} />}
        {tab === 'runs' && <RunsScreen jobId={id} embedded />}
        {tab === 'script' && <ScriptTab job={job} />}
        {shown === 'settings' && <SettingsForm />}
        {tab === 'audit' && <AuditScreen jobId={id} />}
      </div>
    </section>
  );
}
