/** Every default template rendered for every event: nothing left empty, undefined or unrendered. */
import { describe, expect, it } from 'vitest';
import { NOTIFY_EVENTS } from '../../shared/model/notify';
import { DEFAULT_TEMPLATES, render, type MessageEvent } from '../../electron/engine/notify/render';
import type { JobRow, RunRow } from '../../electron/engine/store/rows';

const job = { id: 3, name: 'nightly', grp: 'ops', description: 'loads the warehouse' } as JobRow;
const run = {
  id: 42,
  status: 'FAILED',
  failure: 'EXIT',
  error: 'exit code 3',
  exit_code: 3,
  trigger: 'schedule',
  triggered_by: 'scheduler',
  started_at: Date.parse('2026-12-02T01:00:00Z'),
  finished_at: Date.parse('2026-12-02T01:02:05Z'),
  params: JSON.stringify({ region: 'eu' }),
} as RunRow;

describe('notification templates', () => {
  it.each([...NOTIFY_EVENTS, 'test', 'report'] as MessageEvent[])('renders %s with every variable filled', (event) => {
    const out = render(DEFAULT_TEMPLATES, {
      event,
      attach: event === 'report' ? 'queue.html' : null,
      job,
      run,
      incident: { opened_at: Date.parse('2026-12-02T00:00:00Z'), failures: 2, follow_ups: 1 },
      log: ['line one', 'line <two>'],
      publicUrl: 'https://jobdeck.example.test',
    });
    for (const part of [out.subject, out.text, out.html]) {
      expect(part).not.toMatch(/undefined|null|NaN|\{\{|\{%|could not be rendered/);
    }
    expect(out.subject).toMatch(/^\[Jobdeck\] nightly /);
    expect(out.text).toContain(`Event: ${event}`);
    expect(out.text).toContain('Run: 42, FAILED (EXIT), triggered by scheduler (schedule)');
    expect(out.text).toContain('Duration: 2 min 5 s');
    expect(out.text).toContain('Parameters: region=eu');
    expect(out.text).toContain('Failing since 2026-12-02T00:00:00.000Z (2 failed runs, follow-up 1)');
    expect(out.text).toContain('Open: https://jobdeck.example.test/#/runs/42');
    expect(out.text).toContain('line <two>');
    expect(out.html).toContain('line &lt;two&gt;');
  });
});
