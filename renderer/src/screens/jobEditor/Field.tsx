/** One labelled field of the job form, with its hint or its error. */
import type { ReactNode } from 'react';

export function Field({ id, label, error, hint, children }: { id: string; label: ReactNode; error?: string; hint?: ReactNode; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && !error && <div className="hint">{hint}</div>}
      {error && (
        <div className="error" id={`${id}-error`} data-field-error={id}>
          {error}
        </div>
      )}
    </div>
  );
}
