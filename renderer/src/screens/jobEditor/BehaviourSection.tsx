/** How runs behave: timeout, overlap, retries, missed fires, lock, retention and warm starts. */
import { jobEditorSelectors, useJobEditorStore } from '../../stores/jobEditorStore';
import type { JobForm } from '../jobForm';
import { Field } from './Field';

const { field } = jobEditorSelectors;

export function BehaviourSection() {
  const timeout = useJobEditorStore(field('timeout'));
  const overlap = useJobEditorStore(field('overlap'));
  const retryCount = useJobEditorStore(field('retryCount'));
  const retryDelay = useJobEditorStore(field('retryDelay'));
  const misfire = useJobEditorStore(field('misfire'));
  const lock = useJobEditorStore(field('lock'));
  const retention = useJobEditorStore(field('retention'));
  const warm = useJobEditorStore(field('warm'));
  const errors = useJobEditorStore(jobEditorSelectors.errors);
  const { setField } = useJobEditorStore.getState();

  return (
    <fieldset>
      <legend>Behaviour</legend>
      <div className="grid-2">
        <Field id="job-timeout" label="Timeout (seconds)" error={errors.timeoutSeconds} hint="Empty for no limit">
          <input id="job-timeout" className="input narrow" type="number" min={1} value={timeout} onChange={(e) => setField('timeout', e.target.value)} />
        </Field>
        <Field id="job-overlap" label="When triggered while running" error={errors.overlap}>
          <select id="job-overlap" className="input" value={overlap} onChange={(e) => setField('overlap', e.target.value as JobForm['overlap'])}>
            <option value="skip">Refuse (JOB_ALREADY_RUNNING)</option>
            <option value="queue">Queue one run</option>
          </select>
        </Field>
        <Field id="job-retries" label="Retries" error={errors['retries.count']}>
          <input id="job-retries" className="input narrow" type="number" min={0} max={10} value={retryCount} onChange={(e) => setField('retryCount', e.target.value)} />
        </Field>
        <Field id="job-retry-delay" label="Retry delay (seconds)" error={errors['retries.delaySeconds']}>
          <input id="job-retry-delay" className="input narrow" type="number" min={0} value={retryDelay} onChange={(e) => setField('retryDelay', e.target.value)} />
        </Field>
        <Field id="job-misfire" label="Fires missed while down" error={errors.misfire}>
          <select id="job-misfire" className="input" value={misfire} onChange={(e) => setField('misfire', e.target.value as JobForm['misfire'])}>
            <option value="run-once">Run once</option>
            <option value="skip">Skip</option>
          </select>
        </Field>
        <Field id="job-lock" label="Lock name" error={errors.lock} hint="Jobs sharing a lock never run at once">
          <input id="job-lock" className="input" value={lock} onChange={(e) => setField('lock', e.target.value)} />
        </Field>
        <Field id="job-retention" label="Keep last runs" error={errors.retention}>
          <input id="job-retention" className="input narrow" type="number" min={1} value={retention} onChange={(e) => setField('retention', e.target.value)} />
        </Field>
        <Field id="job-warm" label="Warm start" error={errors.warm} hint="node and python3 runs start in a pre-started interpreter">
          <input id="job-warm" type="checkbox" checked={warm} onChange={(e) => setField('warm', e.target.checked)} />
        </Field>
      </div>
    </fieldset>
  );
}
