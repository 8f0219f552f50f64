/**
 * README "The native API › downloads": a result file is served only from its
 * run's output folder. Two guards, each proven on its own: the name must be
 * a plain relative path, and the resolved path must lie inside the folder.
 */
import { describe, expect, it } from 'vitest';
import { resolveInside } from '../../electron/engine/resultFile';
import { resultNameProblem } from '../../electron/engine/runner/protocol';
import { startTestServer } from '../helpers/server';

describe('README › downloads › result files stay inside their run folder', () => {
  it('refuses names that are absolute or climb out (the name guard)', () => {
    for (const name of ['../secret', 'a/../../secret', '/etc/passwd', 'C:/Windows/win.ini', '..\\secret', 'a//b', '', 'x\u0000y']) {
      expect(resultNameProblem(name), name).not.toBeNull();
    }
    for (const name of ['report.csv', 'sub/dir/report.csv', './report.csv']) expect(resultNameProblem(name), name).toBeNull();
  });

  it('refuses any path that resolves outside the folder, whatever the name held (the containment guard)', () => {
    for (const name of ['../secret', 'a/../../secret', '/etc/passwd', '..', '.']) {
      expect(() => resolveInside('/data/runs/1/2/output', name), name).toThrow(/inside the run folder/);
    }
    expect(resolveInside('/data/runs/1/2/output', 'sub/report.csv')).toBe('/data/runs/1/2/output/sub/report.csv');
    expect(() => resolveInside('/data/runs/1/2/output', '../output-evil/x')).toThrow();
  });

  it('answers 400 over HTTP for a name that climbs out, encoded or not', async () => {
    const t = await startTestServer();
    const job = await t.client().call('jobs.create', { name: 'files', script: 'echo hi > "$JOBDECK_OUTPUT_DIR/a.txt"', schedule: { kind: 'manual' } });
    const run = await t.engine.waitForRun((await t.client().call('runs.trigger', { jobId: job.id })).id);
    for (const path of [`/api/runs/${run.id}/files/..%2F..%2Fjobdeck.db`, `/api/runs/${run.id}/files/%2Fetc%2Fpasswd`]) {
      const res = await t.fetch(path);
      expect(res.status, path).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'name' });
    }
    expect((await t.fetch(`/api/runs/${run.id}/files/a.txt`)).status).toBe(200);
  });
});
