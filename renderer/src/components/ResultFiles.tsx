/** A run's result files: size, download (browser or native save dialog), CSV preview (a sortable table the window's width). */
import { useState } from 'react';
import type { ResultFile } from '../../../shared/model/run';
import { errorText } from '../lib/errors';
import { formatBytes } from '../lib/format';
import { client, connectionSelectors, useConnectionStore } from '../stores/connectionStore';
import { toast } from '../stores/toastStore';
import { CsvPreview, type CsvData } from './CsvPreview';

/** What the preview reads of a file: enough for tens of thousands of rows, bounded for the page. */
const PREVIEW_BYTES = 512 * 1024;

export function ResultFiles({ runId, files }: { runId: number; files: ResultFile[] }) {
  const c = useConnectionStore((s) => s.client);
  const canDownload = useConnectionStore(connectionSelectors.can('admin'));
  const [preview, setPreview] = useState<CsvData | null>(null);

  const show = async (name: string) => {
    try {
      const [file, { default: Papa }] = await Promise.all([client().call('runs.readFile', { id: runId, name, maxBytes: PREVIEW_BYTES }), import('papaparse')]);
      const parsed = Papa.parse<string[]>(file.text, { skipEmptyLines: true, delimiter: /\.tsv$/i.test(name) ? '\t' : '' });
      // A file cut short ends in a partial row: it is left out rather than shown wrong.
      const rows = file.truncated ? parsed.data.slice(0, -1) : parsed.data;
      setPreview({ name, rows, truncated: file.truncated, readBytes: PREVIEW_BYTES, error: parsed.errors.find((e) => !file.truncated || (e.row ?? 0) < rows.length)?.message });
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
      {preview && <CsvPreview data={preview} onClose={() => setPreview(null)} />}
    </section>
  );
}
