/**
 * README "Writing job scripts": the environment a run gets, and the lines a
 * script prints to talk to Jobdeck.
 */
import { describe, expect, it } from 'vitest';
import { openEngine } from '../helpers/engine';

async function runScript(script: string, extra: Record<string, unknown> = {}) {
  const { engine, client } = openEngine({ scheduler: false });
  const job = await client.call('jobs.create', { name: 'proto', script, schedule: { kind: 'manual' }, user: 'svc', ...extra });
  const done = await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id, args: 'a b' })).id);
  const { lines } = await client.call('runs.logs', { id: done.id, limit: 10_000 });
  return { client, job, run: done, texts: lines.map((l) => `${l.stream}:${l.text}`) };
}

describe('README › Writing job scripts', () => {
  it('gives the run its args as argv and the documented environment', async () => {
    const { run, job, texts } = await runScript(
      'echo "argv=$1,$2 job=$JOBDECK_JOB/$JOBDECK_JOB_ID run=$JOBDECK_RUN_ID attempt=$JOBDECK_ATTEMPT args=$JOBDECK_ARGS user=$JOBDECK_USER by=$JOBDECK_TRIGGERED_BY p=$JOBDECK_PARAM_MODE"; test -d "$JOBDECK_OUTPUT_DIR" && test -n "$JOBDECK_RUN_KEY" && echo dirs-ok',
      { params: [{ name: 'mode', type: 'string', default: 'fast' }] },
    );
    expect(texts).toContain(`stdout:argv=a,b job=proto/${job.id} run=${run.id} attempt=1 args=a b user=svc by=tester p=fast`);
    expect(texts).toContain('stdout:dirs-ok');
  });

  it('::progress sets the progress, ::result names the primary file, ::audit writes an audit entry; bad lines are reported', async () => {
    const { client, job, run: r, texts } = await runScript(
      [
        'echo "::progress 30 warming up"',
        'echo x > "$JOBDECK_OUTPUT_DIR/one.txt"; echo y > "$JOBDECK_OUTPUT_DIR/two.txt"',
        'echo "::result two.txt"',
        'echo "::audit cleaned 3 rows"',
        'echo "::progress 150"',
        'echo "::result ../escape.txt"',
        'echo "::progress 100 done"',
      ].join('\n'),
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(r.progress).toEqual({ percent: 100, message: 'done' });
    expect(r.resultFile).toBe('two.txt');
    expect((await client.call('runs.files', { id: r.id })).map((f) => [f.name, f.primary])).toEqual([
      ['two.txt', true],
      ['one.txt', false],
    ]);
    const audit = await client.call('audit.list', { jobId: job.id });
    expect(audit.items.find((a) => a.action === 'script.audit')).toMatchObject({ actor: 'svc', details: { message: 'cleaned 3 rows', runId: r.id } });
    expect(texts).toContain('system:Ignored: ::progress percent 150 is outside 0-100');
    expect(texts).toContain('system:Ignored: ::result file name must stay inside JOBDECK_OUTPUT_DIR');
    expect(texts).toContain('stdout:::progress 30 warming up');
  });

  it('exit code 0 is SUCCEEDED; any other code FAILED with the code; a signal FAILED with the signal', async () => {
    expect((await runScript('exit 0')).run).toMatchObject({ status: 'SUCCEEDED', exitCode: 0, failure: null });
    expect((await runScript('exit 7')).run).toMatchObject({ status: 'FAILED', exitCode: 7, failure: 'EXIT', error: 'exit code 7' });
    expect((await runScript('kill -TERM $$')).run).toMatchObject({ status: 'FAILED', signal: 'SIGTERM', failure: 'SIGNAL' });
  });
});
