/** Running and queued counts, paused or not, pause/resume/restart, locks. */
import { useEffect, useRef, useState } from 'react';
import type { LockInfo } from '../../../shared/model/misc';
import { formatIn, formatTime } from '../lib/format';
import { connectionSelectors, useConnectionStore } from '../stores/connectionStore';
import { hrefOf } from '../stores/routeStore';
import { useSchedulerStore } from '../stores/schedulerStore';
import { ConfirmDialog, useTick } from './common';

export function SchedulerBar() {
  const status = useSchedulerStore((s) => s.status);
  const locks = useSchedulerStore((s) => s.locks);
  const busy = useSchedulerStore((s) => s.busy);
  const { pause, resume, restart, restartProcess, breakLock, load } = useSchedulerStore.getState();
  const isSuper = useConnectionStore(connectionSelectors.can('superadmin'));
  const [open, setOpen] = useState(false);
  const [confirm, setConfirm] = useState<null | 'restart' | 'process' | { lock: LockInfo }>(null);
  const box = useRef<HTMLDivElement>(null);
  const now = useTick(5000);
  const live = useConnectionStore((s) => s.live);

  useEffect(() => {
    if (!open) return;
    void load();
    const onDoc = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', onDoc);
    return () => document.removeEventListener('mousedown', onDoc);
  }, [open, load]);

  if (!status) return null;
  // Disconnected, the last state known may no longer be true: it is not shown as if it were.
  const state = live !== 'open' ? 'unknown' : !status.active ? 'off' : status.paused ? 'paused' : 'on';
  const next = status.nextFires[0];
  return (
    <div className="sched relative" ref={box} aria-label="Scheduler" data-state={state}>
      <span className="row" title={status.owner ? `Scheduled by ${status.owner}` : undefined}>
        <span className={`dot ${state === 'on' ? '' : state}`} aria-hidden="true" />
        <span data-testid="scheduler-state">
          {state === 'on' ? 'Scheduler running' : state === 'paused' ? 'Scheduler paused' : state === 'unknown' ? 'Scheduler unknown (disconnected)' : 'Scheduler off'}
        </span>
        {state !== 'unknown' && status.draining && (
          <a href={hrefOf({ name: 'nodes' })} className="muted small" data-testid="draining" title="No queued run starts on this node until it is undrained">
            · drained
          </a>
        )}
      </span>
      <span className="count" data-testid="running-count">
        <strong>{status.running}</strong> running
      </span>
      <span className="count" data-testid="queued-count">
        <strong>{status.queued}</strong> queued
      </span>
      <button type="button" className="btn small" aria-expanded={open} aria-controls="sched-pop" onClick={() => setOpen(!open)}>
        Scheduler ▾
      </button>
      {open && (
        <div className="popover" id="sched-pop" role="region" aria-label="Scheduler details">
          <div className="col">
            <div className="muted small">
              {status.concurrency} runs at once at most{next && !status.paused ? `; next: ${next.jobName} ${formatIn(next.at, now)}` : ''}
            </div>
            {isSuper && status.active && (
              <div className="row" style={{ margin: '10px 0' }}>
                {status.paused ? (
                  <button type="button" className="btn primary small" disabled={busy} onClick={() => void resume()}>
                    Resume
                  </button>
                ) : (
                  <button type="button" className="btn small" disabled={busy} onClick={() => void pause()}>
                    Pause
                  </button>
                )}
                <button type="button" className="btn small" disabled={busy} onClick={() => setConfirm('restart')}>
                  Restart
                </button>
                {status.supervised && (
                  <button type="button" className="btn small" disabled={busy} onClick={() => setConfirm('process')}>
                    Restart process
                  </button>
                )}
              </div>
            )}
            <h3 style={{ fontSize: 13, margin: '8px 0 4px' }}>Next fires</h3>
            {status.paused && <div className="muted small">Paused: none of these fires until the scheduler is resumed (fires missed meanwhile are skipped).</div>}
            {status.nextFires.length === 0 && <div className="muted small">Nothing scheduled.</div>}
            <ul className="small" style={{ margin: 0, paddingLeft: 18 }} data-testid="next-fires">
              {status.nextFires.slice(0, 5).map((f) => (
                <li key={`${f.jobId}-${f.at}`} className={status.paused ? 'next-paused' : undefined}>
                  <a href={hrefOf({ name: 'job', id: f.jobId })}>{f.jobName}</a> {formatTime(f.at)} ({formatIn(f.at, now)})
                </li>
              ))}
            </ul>
            <h3 style={{ fontSize: 13, margin: '10px 0 4px' }}>Locks</h3>
            {locks.length === 0 && <div className="muted small">No locks held.</div>}
            {locks.map((l) => (
              <div key={l.name} className="row small" style={{ justifyContent: 'space-between' }}>
                <span>
                  <strong>{l.name}</strong> by <a href={hrefOf({ name: 'run', id: l.runId })}>run {l.runId}</a> ({l.jobName}){' '}
                  {!l.holderAlive && <span className="badge CANCELLED">stale</span>}
                </span>
                {isSuper && (
                  <button type="button" className="btn small danger" onClick={() => setConfirm({ lock: l })}>
                    Break lock
                  </button>
                )}
              </div>
            ))}
          </div>
        </div>
      )}
      <ConfirmDialog
        open={confirm === 'restart'}
        title="Restart the scheduler?"
        text="Every job is reloaded from the store and the schedule rebuilt. Runs in flight go on."
        confirm="Restart"
        onConfirm={() => void restart()}
        onClose={() => setConfirm(null)}
      />
      <ConfirmDialog
        open={confirm === 'process'}
        title="Restart the server process?"
        text="The server stops firing, gives running runs the drain time, stops what is left (recorded as cancelled) and exits; its service manager starts it again. The console reconnects when it is back."
        confirm="Restart process"
        danger
        onConfirm={() => void restartProcess()}
        onClose={() => setConfirm(null)}
      />
      <ConfirmDialog
        open={typeof confirm === 'object' && confirm !== null}
        title={`Break lock ${typeof confirm === 'object' && confirm ? confirm.lock.name : ''}?`}
        text={
          typeof confirm === 'object' && confirm?.lock.holderAlive ? (
            <>
              <strong>
                Run {confirm.lock.runId} of {confirm.lock.jobName} still executes and holds this lock.
              </strong>{' '}
              Breaking it lets another job that uses the lock start beside it, which the lock is there to prevent. Cancel that run
              instead, unless you know it no longer touches what the lock protects.
            </>
          ) : (
            'The run that took this lock has ended; breaking it lets the jobs waiting for it start.'
          )
        }
        confirm={typeof confirm === 'object' && confirm?.lock.holderAlive ? 'Break it anyway' : 'Break lock'}
        danger
        onConfirm={() => typeof confirm === 'object' && confirm && void breakLock(confirm.lock.name, confirm.lock.holderAlive)}
        onClose={() => setConfirm(null)}
      />
    </div>
  );
}
