/**
 * A result file's CSV at the width of the window: every column sortable by
 * its header (click or Enter; again to reverse), the row count, and what the
 * preview left out.
 */
import { useMemo, useState } from 'react';
import { numericColumns, sortRows, type CsvSort } from '../lib/csvTable';
import { Dialog } from './common';

/** Rows drawn at once; sorting covers every row read. */
export const SHOWN_ROWS = 2000;

export interface CsvData {
  name: string;
  /** The header row first. */
  rows: string[][];
  /** The file was longer than the preview reads. */
  truncated: boolean;
  readBytes: number;
  error?: string;
}

export function CsvPreview({ data, onClose }: { data: CsvData; onClose: () => void }) {
  const [sort, setSort] = useState<CsvSort | null>(null);
  const header = data.rows[0] ?? [];
  const body = useMemo(() => sortRows(data.rows.slice(1), sort), [data.rows, sort]);
  const numeric = useMemo(() => numericColumns(data.rows.slice(1), header.length), [data.rows, header.length]);
  const toggle = (column: number) => setSort((s) => (s?.column === column ? (s.descending ? null : { column, descending: true }) : { column, descending: false }));
  const count = body.length.toLocaleString();
  return (
    <Dialog open title={`${data.name}`} onClose={onClose} wide footer={<button type="button" className="btn" onClick={onClose}>Close</button>}>
      <div data-testid="csv-preview" className="csv-wide">
        <p className="small muted" data-testid="csv-count" aria-live="polite">
          {data.truncated ? `The first ${count} rows (the preview reads ${Math.round(data.readBytes / 1024)} KB of a longer file)` : `${count} row${body.length === 1 ? '' : 's'}`}
          {body.length > SHOWN_ROWS ? `, the first ${SHOWN_ROWS.toLocaleString()} shown` : ''}
          {header.length ? `, ${header.length} column${header.length === 1 ? '' : 's'}` : ''}
          {sort ? `; sorted by ${header[sort.column] || `column ${sort.column + 1}`}, ${sort.descending ? 'descending' : 'ascending'}` : '; click a column to sort by it'}
          {data.error ? `. The file has a problem: ${data.error}` : ''}
        </p>
        <div className="csv">
          <table>
            <thead>
              <tr>
                {header.map((h, i) => (
                  <th key={i} scope="col" className={numeric[i] ? 'num' : undefined} aria-sort={sort?.column === i ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
                    <button type="button" className="sort" onClick={() => toggle(i)}>
                      {h || `column ${i + 1}`}
                    </button>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {body.slice(0, SHOWN_ROWS).map((row, i) => (
                <tr key={i}>
                  {row.map((cell, j) => (
                    <td key={j} className={numeric[j] ? 'num' : undefined}>
                      {cell}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </Dialog>
  );
}
