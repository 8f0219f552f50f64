/** Small pieces used across screens. */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { RunStatus } from '../../../shared/model/job';
import { useToastStore } from '../stores/toastStore';

const STATUS_TEXT: Record<RunStatus, string> = {
  QUEUED: 'Queued',
  IN_PROGRESS: 'Running',
  SUCCEEDED: 'Succeeded',
  FAILED: 'Failed',
  CANCELLED: 'Cancelled',
};

export function StatusBadge({ status }: { status: RunStatus }) {
  return (
    <span className={`badge ${status}`} data-status={status}>
      {STATUS_TEXT[status]}
    </span>
  );
}

export function ProgressBar({ percent, label, big }: { percent: number; label?: string; big?: boolean }) {
  const p = Math.max(0, Math.min(100, percent));
  return (
    <div className={`progress${big ? ' big' : ''}`} role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={p} aria-label={label ?? 'Progress'}>
      <div style={{ width: `${p}%` }} />
    </div>
  );
}

const ICONS = {
  copy: 'M5 2h7a1 1 0 0 1 1 1v8h-1.5V3.5H5zM3 5h6.5a1 1 0 0 1 1 1v7.5a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm.5 1.5v6.5h5.5V6.5z',
  check: 'M6.2 11.6 2.6 8l1.1-1.1 2.5 2.5 6.1-6.1L13.4 4.4z',
  close: 'M4.1 3 8 6.9 11.9 3 13 4.1 9.1 8l3.9 3.9-1.1 1.1L8 9.1 4.1 13 3 11.9 6.9 8 3 4.1z',
  play: 'M4 2.5v11l9-5.5z',
} as const;

export function Icon({ name }: { name: keyof typeof ICONS }) {
  return (
    <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true" focusable="false" style={{ verticalAlign: '-2px' }}>
      <path d={ICONS[name]} fill="currentColor" />
    </svg>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      className="copy"
      aria-label={label}
      title={label}
      onClick={(e) => {
        e.stopPropagation();
        void navigator.clipboard?.writeText(text).then(
          () => {
            setDone(true);
            setTimeout(() => setDone(false), 1200);
          },
          () => undefined,
        );
      }}
    >
      <Icon name={done ? 'check' : 'copy'} />
    </button>
  );
}

/** The script MD5: short form, the whole on hover, a copy button. */
export function Md5({ md5 }: { md5: string }) {
  return (
    <span className="mono" title={md5} data-md5={md5}>
      {md5.slice(0, 8)}
      <CopyButton text={md5} label={`Copy MD5 ${md5}`} />
    </span>
  );
}

/** A modal dialog on the native <dialog> element (focus trap, Esc to close). */
/** `wide`: nearly the window's size, for tables. */
export function Dialog({ open, title, onClose, children, footer, labelId, wide }: { open: boolean; title: string; onClose: () => void; children: ReactNode; footer?: ReactNode; labelId?: string; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = labelId ?? `dlg-${title.replace(/\W+/g, '-').toLowerCase()}`;
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby={id} onClose={onClose} onCancel={onClose} className={wide ? 'wide' : undefined}>
      {open && (
        <>
          <div className="dialog-body">
            <h3 id={id}>{title}</h3>
            {children}
          </div>
          {footer && <div className="dialog-foot">{footer}</div>}
        </>
      )}
    </dialog>
  );
}

export function ConfirmDialog({ open, title, text, confirm, danger, onConfirm, onClose }: { open: boolean; title: string; text: ReactNode; confirm: string; danger?: boolean; onConfirm: () => void; onClose: () => void }) {
  return (
    <Dialog
      open={open}
      title={title}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Keep it
          </button>
          <button
            type="button"
            className={`btn ${danger ? 'danger' : 'primary'}`}
            onClick={() => {
              onConfirm();
              onClose();
            }}
          >
            {confirm}
          </button>
        </>
      }
    >
      <div>{text}</div>
    </Dialog>
  );
}

export function Toasts() {
  const toasts = useToastStore((s) => s.toasts);
  const dismiss = useToastStore((s) => s.dismiss);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast ${t.kind}`} role={t.kind === 'error' ? 'alert' : undefined}>
          <div className="grow">{t.text}</div>
          <button type="button" className="copy" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
            <Icon name="close" />
          </button>
        </div>
      ))}
    </div>
  );
}

/** Re-renders every `ms` (relative times, running durations). */
export function useTick(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** Newer/older paging under a list: "51–100 of 420 runs", page n of m. */
export function Pager({ page, pageSize, total, noun, onPage }: { page: number; pageSize: number; total: number; noun: string; onPage: (page: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <div className="pager" aria-label="Pages">
      <span className="muted small">
        {total === 0 ? `No ${noun}` : `${page * pageSize + 1}–${Math.min(total, (page + 1) * pageSize)} of ${total} ${noun}`}
      </span>
      <button type="button" className="btn small" disabled={page === 0} onClick={() => onPage(page - 1)}>
        ← Newer
      </button>
      <span className="small">
        Page {page + 1} of {pages}
      </span>
      <button type="button" className="btn small" disabled={page + 1 >= pages} onClick={() => onPage(page + 1)}>
        Older →
      </button>
    </div>
  );
}
