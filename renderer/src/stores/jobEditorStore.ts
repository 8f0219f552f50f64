/**
 * The job editor: the job being edited, its form (numbers kept as typed
 * text, see ../screens/jobForm), the field errors, and the actions that load,
 * save, archive and duplicate it through the client.
 */
import { create } from 'zustand';
import { JobdeckError } from '../../../shared/errors';
import type { Job, JobSummary } from '../../../shared/model/job';
import { errorText, fieldErrors } from '../lib/errors';
import { changedFields, formFromJob, newParamRow, specFromForm, validate, type JobForm, type ParamRow } from '../screens/jobForm';
import { client, connectionSelectors, useConnectionStore } from './connectionStore';
import { jobsSelectors, useJobsStore } from './jobsStore';
import { useRouteStore } from './routeStore';
import { toast } from './toastStore';

export interface EditorAlert {
  text: string;
  /** The job changed since it was loaded: offer to reload it. */
  conflict?: boolean;
}

interface State {
  /** The job id the editor is open for (null: a new job; undefined: not open). */
  jobId: number | null | undefined;
  /** The job as last loaded or saved (null while loading, and for a new job). */
  job: Job | null;
  form: JobForm;
  /** The form as loaded or last saved: what `dirty` compares against. */
  pristine: JobForm;
  /** Messages by contract path ("name", "schedule.seconds", "params.0.choices", …). */
  errors: Record<string, string>;
  alert: EditorAlert | null;
  loadError: string | null;
  busy: boolean;
  /** Open the editor for a job (null: a new job) with a fresh form. */
  open(id: number | null): void;
  close(): void;
  /**
   * Read the job again, keeping the screen: after a conflict, or (`background`) because it changed
   * elsewhere. A background read keeps edits typed meanwhile, and only a job that is gone replaces
   * the page with an error; other failures are a toast.
   */
  reload(options?: { background?: boolean }): Promise<void>;
  setField<K extends keyof JobForm>(key: K, value: JobForm[K]): void;
  setParam(key: number, patch: Partial<ParamRow>): void;
  addParam(): void;
  removeParam(key: number): void;
  /** Validate, then create or update; a new job opens at its own address. */
  save(): Promise<void>;
  /** Archive, or unarchive an archived job. */
  toggleArchived(): Promise<void>;
  duplicate(): Promise<void>;
}

const closed = () => {
  const form = formFromJob(null);
  return { jobId: undefined, job: null, form, pristine: form, errors: {}, alert: null, loadError: null, busy: false };
};

/** Bumped by every read, open and close: answers to an older read are dropped. */
let loadSeq = 0;
/** Bumped by open and close: a save that ends after the user moved on leaves the new form alone. */
let session = 0;

const nameTaken = (jobs: JobSummary[], s: State) => jobsSelectors.nameTaken(jobs, s.form.name, s.jobId ?? undefined);
const sameSpec = (a: JobForm, b: JobForm) => JSON.stringify(specFromForm(a)) === JSON.stringify(specFromForm(b));

export const jobEditorSelectors = {
  /** Has open() run for this id (the state is not left from an earlier visit)? */
  openFor: (id: number | null) => (s: State) => s.jobId === id,
  job: (s: State) => s.job,
  field:
    <K extends keyof JobForm>(key: K) =>
    (s: State): JobForm[K] =>
      s.form[key],
  errors: (s: State) => s.errors,
  /** The name's message: taken by another job (checked while typing), else what validation said. */
  nameError: (jobs: JobSummary[]) => (s: State) => (nameTaken(jobs, s) ? `A job named "${s.form.name.trim()}" already exists` : s.errors.name),
  alert: (s: State) => s.alert,
  loadError: (s: State) => s.loadError,
  busy: (s: State) => s.busy,
  /** Does the form differ from the job as loaded or last saved (or from a blank new job)? */
  dirty: (s: State) => s.form !== s.pristine && !sameSpec(s.form, s.pristine),
};

async function fetchJob(id: number, background = false): Promise<void> {
  const { setState: set, getState: get } = useJobEditorStore;
  const seq = ++loadSeq;
  const formBefore = get().form;
  try {
    const job = await client().call('jobs.get', { id });
    if (seq !== loadSeq) return;
    if (background && get().form !== formBefore) {
      // Typed while the read was on its way: the edits stay; saving them will meet the newer revision.
      set({ alert: { text: `${job.updatedBy} changed this job (revision ${job.revision}) while you were editing it.`, conflict: true } });
      return;
    }
    const form = formFromJob(job);
    set({ job, form, pristine: form, errors: {}, alert: null, loadError: null });
  } catch (err) {
    if (seq !== loadSeq) return;
    const gone = err instanceof JobdeckError && err.code === 'NOT_FOUND';
    if (!background || gone || !get().job) set({ loadError: errorText(err) });
    else toast.error(`The job could not be read again: ${errorText(err)}`);
  }
}

export const useJobEditorStore = create<State>()((set, get) => ({
  ...closed(),

  open(id) {
    session++;
    loadSeq++;
    set({ ...closed(), jobId: id });
    // Names must be unique: the list is needed to say so while typing.
    const jobs = useJobsStore.getState();
    if (!jobs.loaded) void jobs.load();
    if (id !== null) void fetchJob(id);
  },

  close() {
    session++;
    loadSeq++;
    set(closed());
  },

  async reload(options) {
    const { jobId } = get();
    if (jobId !== null && jobId !== undefined) await fetchJob(jobId, options?.background);
  },

  setField(key, value) {
    set({ form: { ...get().form, [key]: value } });
  },

  setParam(key, patch) {
    const form = get().form;
    set({ form: { ...form, params: form.params.map((p) => (p.key === key ? { ...p, ...patch } : p)) } });
  },

  addParam() {
    const form = get().form;
    set({ form: { ...form, params: [...form.params, newParamRow()] } });
  },

  removeParam(key) {
    const form = get().form;
    set({ form: { ...form, params: form.params.filter((p) => p.key !== key) } });
  },

  async save() {
    if (!connectionSelectors.can('superadmin')(useConnectionStore.getState())) return;
    const { job, form } = get();
    const current = session;
    const here = () => session === current;
    const spec = specFromForm(form);
    const found = validate(spec);
    set({ errors: found, alert: null });
    if (Object.keys(found).length || nameTaken(useJobsStore.getState().jobs, get())) {
      set({ alert: { text: 'Some fields need attention (see the messages beside them).' } });
      return;
    }
    set({ busy: true });
    try {
      if (job) {
        const changes = changedFields(job, spec);
        if (Object.keys(changes).length === 0) {
          toast.info('Nothing changed');
          return;
        }
        const saved = await client().call('jobs.update', { id: job.id, ifRevision: job.revision, changes });
        if (here()) {
          const next = formFromJob(saved);
          set({ job: saved, form: next, pristine: next });
        }
        toast.success(`Saved ${saved.name} (revision ${saved.revision})`);
      } else {
        const created = await client().call('jobs.create', spec);
        toast.success(`Created ${created.name}`);
        useRouteStore.getState().navigate({ name: 'job', id: created.id });
      }
      void useJobsStore.getState().load();
    } catch (error) {
      const conflict = error instanceof JobdeckError && error.code === 'CONFLICT';
      if (here()) set({ errors: fieldErrors(error, job ? 'changes.' : ''), alert: { text: errorText(error), conflict } });
    } finally {
      if (here()) set({ busy: false });
    }
  },

  async toggleArchived() {
    const { job } = get();
    if (!job) return;
    const current = session;
    try {
      const saved = await client().call(job.archived ? 'jobs.unarchive' : 'jobs.archive', { id: job.id });
      if (session === current) set({ job: saved });
      toast.success(`${saved.name} ${saved.archived ? 'archived: it will not be fired' : 'is back in use'}`);
      void useJobsStore.getState().load();
    } catch (error) {
      toast.error(errorText(error));
    }
  },

  async duplicate() {
    const { job } = get();
    if (!job) return;
    try {
      const copy = await client().call('jobs.duplicate', { id: job.id });
      toast.success(`Created ${copy.name} (disabled until you enable it)`);
      void useJobsStore.getState().load();
      useRouteStore.getState().navigate({ name: 'job', id: copy.id });
    } catch (error) {
      toast.error(errorText(error));
    }
  },
}));
