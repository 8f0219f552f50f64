/**
 * Two versions of a script next to each other, line by line: removed lines
 * on the left facing the lines that replaced them on the right, unchanged
 * lines on both sides, with line numbers.
 */
import type { Change } from 'diff';

interface Row {
  left: { n: number; text: string; removed: boolean } | null;
  right: { n: number; text: string; added: boolean } | null;
}

const linesOf = (value: string) => value.replace(/\n$/, '').split('\n');

/** Pairs the diff's parts into rows: a removal and the addition after it share rows. */
export function sideBySideRows(parts: readonly Change[]): Row[] {
  const rows: Row[] = [];
  let l = 0;
  let r = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (!p.added && !p.removed) {
      for (const text of linesOf(p.value)) rows.push({ left: { n: ++l, text, removed: false }, right: { n: ++r, text, added: false } });
      continue;
    }
    const removed = p.removed ? linesOf(p.value) : [];
    const nextAdded = p.removed && parts[i + 1]?.added ? parts[++i]! : p.added ? p : null;
    const added = nextAdded ? linesOf(nextAdded.value) : [];
    for (let k = 0; k < Math.max(removed.length, added.length); k++) {
      rows.push({
        left: k < removed.length ? { n: ++l, text: removed[k]!, removed: true } : null,
        right: k < added.length ? { n: ++r, text: added[k]!, added: true } : null,
      });
    }
  }
  return rows;
}

export function SideBySideDiff({ parts, leftTitle, rightTitle }: { parts: readonly Change[]; leftTitle: string; rightTitle: string }) {
  const rows = sideBySideRows(parts);
  return (
    <div className="diff-sbs" role="region" aria-label="Differences side by side" tabIndex={0}>
      <table>
        <colgroup>
          <col className="ln" />
          <col />
          <col className="ln" />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th colSpan={2} scope="colgroup">
              {leftTitle}
            </th>
            <th colSpan={2} scope="colgroup">
              {rightTitle}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              <td className="ln">{row.left?.n ?? ''}</td>
              <td className={row.left?.removed ? 'del' : row.left ? '' : 'none'}>
                {row.left ? (row.left.removed ? <span className="sr-only">removed: </span> : null) : null}
                {row.left?.text ?? ''}
              </td>
              <td className="ln">{row.right?.n ?? ''}</td>
              <td className={row.right?.added ? 'add' : row.right ? '' : 'none'}>
                {row.right ? (row.right.added ? <span className="sr-only">added: </span> : null) : null}
                {row.right?.text ?? ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
