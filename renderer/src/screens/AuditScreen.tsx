/** The audit log: who did what, when; of every job, or (a job page's Audit tab) of one and its runs. */
import { useEffect, useState } from 'react';
import type { Schedule } from '../../../shared/model/job';
import type { AuditEntry } from '../../../shared/model/misc';
import { describeSchedule } from '../../../shared/schedule';
import { Pager } from '../components/common';
import { formatTime } from '../lib/format';
import { hrefOf } from '../stores/routeStore';
import { useAuditStore } from '../stores/auditStore';

function target(e: AuditEntry) {
  if (e.targetType === 'job' && e.targetId) return <a href={hrefOf({ name: 'job', id: Number(e.targetId) })}>{e.targetName ?? `job ${e.targetId}`}</a>;
  if (e.targetType === 'run' && e.targetId)
    return (
      <a href={hrefOf({ name: 'run', id: Number(e.targetId) })}>
        run #{e.targetId} {e.targetName ? `(${e.targetName})` : ''}
      </a>
    );
  return `${e.targetType}${e.targetName ? ` ${e.targetName}` : ''}`;
}

function details(e: AuditEntry): string {
  if (!e.details) return '';
  if (e.action === 'job.update' && e.details.changes) {
    return Object.entries(e.details.changes as Record<string, { from: unknown; to: unknown }>)
      .map(([k, v]) => `${k}: ${JSON.stringify(v.from)} → ${JSON.stringify(v.to)}`)
      .join('; ');
  }
  if (e.action === 'script.audit') return String(e.details.message ?? '');
  // "key: value" for what is set; schedules in words.
  return Object.entries(e.details)
    .filter(([, v]) => v !== null && v !== '' && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && v !== null && Object.keys(v).length === 0))
    .map(([k, v]) => `${k}: ${k === 'schedule' ? describeSchedule(v as Schedule) : typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join('; ');
}

export function AuditScreen({ jobId = null }: { jobId?: number | null }) {
  const { items, total, page, pageSize, actor, loading, error } = useAuditStore();
  const { setJob, setPage, setActor } = useAuditStore.getState();
  const [who, setWho] = useState(actor);
  useEffect(() => {
    void setJob(jobId);
  }, [jobId, setJob]);
  return (
    <section className="screen" aria-labelledby="audit-title" data-testid="audit-screen">
      <div className="screen-head">
        <h2 id="audit-title" className={jobId === null ? undefined : 'sr-only'}>
          {jobId === null ? 'Audit log' : 'Audit log of this job'}
        </h2>
        <form
          className="row"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            void setActor(who);
          }}
        >
          <label htmlFor="audit-actor">Who</label>
          <input id="audit-actor" className="input" value={who} placeholder="user name" onChange={(e) => setWho(e.target.value)} />
          <button type="submit" className="btn">
            Filter
          </button>
        </form>
      </div>
      {error && <div className="alert" role="alert">{error}</div>}
      <div className="panel" style={{ overflow: 'auto' }}>
        <table className="small" style={{ width: '100%', borderCollapse: 'collapse' }} aria-busy={loading}>
          <thead>
            <tr style={{ textAlign: 'left' }} className="muted">
              <th style={{ padding: 8 }}>When</th>
              <th>Who</th>
              <th>What</th>
              <th>On</th>
              <th>Details</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr key={e.id} style={{ borderTop: '1px solid var(--border)' }}>
                <td style={{ padding: '6px 8px', whiteSpace: 'nowrap' }}>{formatTime(e.at)}</td>
                <td>{e.actor}</td>
                <td className="mono">{e.action}</td>
                <td>{target(e)}</td>
                <td style={{ maxWidth: 520, overflowWrap: 'anywhere' }}>{details(e)}</td>
              </tr>
            ))}
            {!loading && items.length === 0 && (
              <tr>
                <td colSpan={5} className="empty">
                  Nothing recorded{actor ? ` for ${actor}` : ''}{jobId === null ? '' : ' about this job'}.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <Pager page={page} pageSize={pageSize} total={total} noun="entries" onPage={(n) => void setPage(n)} />
    </section>
  );
}
