/** Every saved version of a job script, and a diff between any two. */
import { diffLines } from 'diff';
import { useEffect, useMemo, useState } from 'react';
import type { ScriptVersion } from '../../../shared/model/job';
import { errorText } from '../lib/errors';
import { formatTime } from '../lib/format';
import { client } from '../stores/connectionStore';
import { SideBySideDiff } from './SideBySideDiff';

/** `wide`: the diff side by side (the script tab has the room), else one column. */
export function ScriptHistory({ jobId, revision, wide }: { jobId: number; revision: number; wide?: boolean }) {
  const [versions, setVersions] = useState<ScriptVersion[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [a, setA] = useState<number | null>(null);
  const [b, setB] = useState<number | null>(null);

  useEffect(() => {
    client()
      .call('jobs.history', { id: jobId })
      .then((v) => {
        setVersions(v);
        setB(v[0]?.version ?? null);
        setA(v[1]?.version ?? v[0]?.version ?? null);
      })
      .catch((err) => setError(errorText(err)));
  }, [jobId, revision]);

  const va = versions.find((v) => v.version === a);
  const vb = versions.find((v) => v.version === b);
  const parts = useMemo(() => (va && vb ? diffLines(va.script, vb.script) : []), [va, vb]);

  if (error) return <div className="alert">{error}</div>;
  return (
    <section className="panel panel-pad" aria-labelledby="history-title" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
      <h3 id="history-title">Script history</h3>
      <table className="small" style={{ borderCollapse: 'collapse' }}>
        <thead>
          <tr className="muted" style={{ textAlign: 'left' }}>
            <th>Version</th>
            <th>MD5</th>
            <th>Saved</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version}>
              <td>v{v.version}</td>
              <td className="mono" title={v.md5}>
                {v.md5.slice(0, 12)}
              </td>
              <td>
                {formatTime(v.savedAt)} by {v.savedBy}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {versions.length > 1 && (
        <>
          <div className="row">
            <label htmlFor="diff-a">Compare</label>
            <select id="diff-a" className="input" value={a ?? ''} onChange={(e) => setA(Number(e.target.value))}>
              {versions.map((v) => (
                <option key={v.version} value={v.version}>
                  v{v.version}
                </option>
              ))}
            </select>
            <label htmlFor="diff-b">with</label>
            <select id="diff-b" className="input" value={b ?? ''} onChange={(e) => setB(Number(e.target.value))}>
              {versions.map((v) => (
                <option key={v.version} value={v.version}>
                  v{v.version}
                </option>
              ))}
            </select>
          </div>
          {va && vb && (
            <div className="small muted">
              v{va.version} <span className="mono">{va.md5}</span>
              <br />v{vb.version} <span className="mono">{vb.md5}</span> {va.md5 === vb.md5 && <strong>(identical)</strong>}
            </div>
          )}
          {wide && va && vb ? (
            <SideBySideDiff parts={parts} leftTitle={`v${va.version}`} rightTitle={`v${vb.version}`} />
          ) : (
            <div className="diff" aria-label="Differences">
              {parts.flatMap((p, i) =>
                p.value
                  .replace(/\n$/, '')
                  .split('\n')
                  .map((line, j) => (
                    <div key={`${i}-${j}`} className={p.added ? 'add' : p.removed ? 'del' : ''}>
                      {p.added ? '+ ' : p.removed ? '- ' : '  '}
                      {line}
                    </div>
                  )),
              )}
            </div>
          )}
        </>
      )}
    </section>
  );
}
