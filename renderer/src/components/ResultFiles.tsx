/** A run's result files: size, download (browser or native save dialog), CSV preview. */
import { useState } from 'react';
import type { ResultFile } from '../../../shared/model/run';
import { errorText } from '../lib/errors';
import { formatBytes } from '../lib/format';
import { client, connectionSelectors, useConnectionStore } from '../stores/connectionStore';
import { toast } from '../stores/toastStore';

const PREVIEW_ROWS = 200;

export function ResultFiles({ runId, files }: { runId: number; files: ResultFile[] }) {
  const c = useConnectionStore((s) => s.client);
  const canDownload = useConnectionStore(connectionSelectors.can('admin'));
  const [preview, setPreview] = useState<{ name: string; rows: string[][]; truncated: boolean; error?: string } | null>(null);

  const show = async (name: string) => {
    try {
      const [file, { default: Papa }] = await Promise.all([client().call('runs.readFile', { id: runId, name, maxBytes: 512 * 1024 }), import('papaparse')]);
      const parsed = Papa.parse<string[]>(file.text, { skipEmptyLines: true, preview: PREVIEW_ROWS + 1 });
      setPreview({ name, rows: parsed.data, truncated: file.truncated || parsed.data.length > PREVIEW_ROWS, error: parsed.errors[0]?.message });
    } catch (err) {
      toast.error(errorText(err));
    }
  };

  const save = async (name: string) => {
    try {
      const path = await c?.saveResultFile?.(runId, name);
      if (path) toast.success(`Saved to ${path}`);
    } catch (err) {
      toast.error(errorText(err));
    }
  };

  return (
    <section className="panel panel-pad" aria-labelledby="files-title" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
      <h3 id="files-title">Result files</h3>
      {files.length === 0 && <div className="muted small">None. Files a script writes into JOBDECK_OUTPUT_DIR appear here.</div>}
      {files.map((f) => (
        <div key={f.name} className="row" data-file={f.name}>
          <span className="grow mono small" title={`sha256 ${f.sha256}`}>
            {f.name} {f.primary && <span className="badge primary">primary</span>}
          </span>
          <span className="small muted">{formatBytes(f.size)}</span>
          {canDownload && c?.resultFileUrl && (
            <a className="btn small" href={c.resultFileUrl(runId, f.name)} download={f.name.split('/').pop()}>
              Download
            </a>
          )}
          {canDownload && c?.saveResultFile && (
            <button type="button" className="btn small" onClick={() => void save(f.name)}>
              Save…
            </button>
          )}
          {canDownload && /\.(csv|tsv)$/i.test(f.name) && (
            <button type="button" className="btn small" aria-pressed={preview?.name === f.name} onClick={() => (preview?.name === f.name ? setPreview(null) : void show(f.name))}>
              Preview
            </button>
          )}
        </div>
      ))}
      {preview && (
        <div data-testid="csv-preview">
          <div className="small muted">
            {preview.name}: {Math.max(0, Math.min(preview.rows.length, PREVIEW_ROWS + 1) - 1)} rows shown{preview.truncated ? ' (file cut short for the preview)' : ''}
            {preview.error ? `; ${preview.error}` : ''}
          </div>
          <div className="csv">
            <table>
              <thead>
                <tr>
                  {(preview.rows[0] ?? []).map((h, i) => (
                    <th key={i} scope="col">
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {preview.rows.slice(1, PREVIEW_ROWS + 1).map((row, i) => (
                  <tr key={i}>
                    {row.map((cell, j) => (
                      <td key={j}>{cell}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </section>
  );
}
