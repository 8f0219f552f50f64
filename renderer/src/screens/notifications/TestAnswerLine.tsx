/** What the server answered to a test send, word for word. */
import type { TestAnswer } from '../../stores/notifyStore';

export function TestAnswerLine({ answer, testId }: { answer: TestAnswer; testId: string }) {
  return (
    <div className={`test-answer ${answer.ok ? 'ok' : 'fail'}`} role="status" data-testid={testId} data-ok={answer.ok}>
      <strong>{answer.ok ? 'Accepted:' : 'Refused:'}</strong> <span className="mono">{answer.answer}</span>
    </div>
  );
}
