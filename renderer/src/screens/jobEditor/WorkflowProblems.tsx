/**
 * Beside a workflow's JSON: what the last save found (each problem with its
 * field path, as the server names it, and a button to its line), and the
 * definition checked again as it is typed.
 */
import { useEffect, useMemo, useState } from 'react';
import { workflowErrorLine } from '../../lib/jsonLocate';
import { checkDefinition, type DefinitionCheck } from '../../lib/workflowDefinition';

interface Props {
  text: string;
  /** Errors of the last save, by field path. */
  errors: Record<string, string>;
  onGoTo(line: number): void;
  onExample(): void;
}

/** The form's errors that belong to the definition. */
export const definitionErrors = (errors: Record<string, string>): [string, string][] =>
  Object.entries(errors).filter(([field]) => field === 'script' || field === 'workflow' || field.startsWith('workflow.'));

function useChecked(text: string): DefinitionCheck {
  const [checked, setChecked] = useState(() => checkDefinition(text));
  useEffect(() => {
    const t = setTimeout(() => setChecked(checkDefinition(text)), 250);
    return () => clearTimeout(t);
  }, [text]);
  return checked;
}

function Problem({ field, message, text, onGoTo }: { field: string; message: string; text: string; onGoTo: (line: number) => void }) {
  const line = workflowErrorLine(text, field, message);
  return (
    <li data-field-error={field}>
      <code>{field}</code>: {message}{' '}
      {line !== null && (
        <button type="button" className="btn small" onClick={() => onGoTo(line)} aria-label={`Go to line ${line} (${field})`}>
          line {line}
        </button>
      )}
    </li>
  );
}

export function WorkflowProblems({ text, errors, onGoTo, onExample }: Props) {
  const checked = useChecked(text);
  const saved = useMemo(() => definitionErrors(errors), [errors]);
  const notJson = !checked.ok && checked.field === 'workflow' && checked.message.startsWith('not valid JSON');
  const live = !checked.ok && !saved.some(([f, m]) => f === checked.field && m === checked.message) ? checked : null;

  return (
    <div className="workflow-problems" data-testid="workflow-problems">
      {saved.length > 0 && (
        <div className="alert" role="alert">
          <div>The workflow was not saved:</div>
          <ul>
            {saved.map(([field, message]) => (
              <Problem key={field} field={field} message={message} text={text} onGoTo={onGoTo} />
            ))}
          </ul>
        </div>
      )}
      {live && (
        <ul className="error small" aria-live="polite" data-testid="workflow-live-problem">
          <Problem field={live.field} message={live.message} text={text} onGoTo={onGoTo} />
        </ul>
      )}
      {checked.ok && (
        <div className="hint" aria-live="polite" data-testid="workflow-summary">
          {checked.count} task{checked.count === 1 ? '' : 's'}, {checked.depth} level{checked.depth === 1 ? '' : 's'} deep. Conditions, templates and job
          references are checked when saving.
        </div>
      )}
      {notJson && (
        <button type="button" className="btn small" onClick={onExample}>
          Replace with an example workflow
        </button>
      )}
    </div>
  );
}
