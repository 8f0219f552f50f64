/** Every field of a job, for a superadmin: the new-job page and a job's Settings tab. */
import { jobEditorSelectors, useJobEditorStore } from '../../stores/jobEditorStore';
import { BehaviourSection } from './BehaviourSection';
import { EditorHelp } from './EditorHelp';
import { FormFooter } from './FormFooter';
import { GeneralSection, GroupList } from './GeneralSection';
import { NotifySection } from './NotifySection';
import { ParamsSection } from './ParamsSection';
import { ScheduleSection } from './ScheduleSection';
import { ScriptSection } from './ScriptSection';

export function SettingsForm() {
  const { save } = useJobEditorStore.getState();
  const job = useJobEditorStore(jobEditorSelectors.job);
  return (
    <div className="editor-layout">
      <form
        className="panel panel-pad"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
        noValidate
        style={{ display: 'flex', flexDirection: 'column', gap: 14 }}
        aria-label={job ? `Settings of ${job.name}` : 'New job'}
      >
        <GeneralSection />
        <ScriptSection />
        <ScheduleSection />
        <ParamsSection />
        <BehaviourSection />
        <NotifySection />
        <FormFooter />
        <GroupList />
      </form>
      <EditorHelp />
    </div>
  );
}
