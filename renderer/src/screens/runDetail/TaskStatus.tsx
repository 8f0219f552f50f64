/** A task run's status: colour and words (never colour alone). */
import type { TaskStatus } from '../../../../shared/model/workflow';

export const TASK_STATUS_TEXT: Record<TaskStatus, string> = {
  PENDING: 'Pending',
  QUEUED: 'Queued',
  RUNNING: 'Running',
  SUCCEEDED: 'Succeeded',
  FAILED: 'Failed',
  SKIPPED: 'Skipped',
  CANCELLED: 'Cancelled',
};

export function TaskStatusBadge({ status }: { status: TaskStatus }) {
  return (
    <span className={`tbadge ${status}`} data-task-status={status}>
      <span className="tdot" aria-hidden="true" />
      {TASK_STATUS_TEXT[status]}
    </span>
  );
}
