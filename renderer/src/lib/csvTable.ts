/** A CSV preview's rows in the order a user asked for: numbers as numbers, text as a person reads it, empty cells last. */

const text = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** A cell that is all number ("12", "-3.5", "1e3"), as a number; else null. */
function numberOf(cell: string): number | null {
  const t = cell.trim();
  if (t === '' || !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return null;
  return Number(t);
}

export function compareCells(a: string | undefined, b: string | undefined): number {
  const ea = a === undefined || a.trim() === '';
  const eb = b === undefined || b.trim() === '';
  if (ea || eb) return ea === eb ? 0 : ea ? 1 : -1;
  const na = numberOf(a!);
  const nb = numberOf(b!);
  if (na !== null && nb !== null) return na - nb;
  // A number before text, so a column of numbers with a few notes stays readable.
  if ((na === null) !== (nb === null)) return na !== null ? -1 : 1;
  return text.compare(a!, b!);
}

/** For each column: does every non-empty cell hold a number (and at least one does)? Such columns are right-aligned. */
export function numericColumns(rows: readonly string[][], columns: number): boolean[] {
  return Array.from({ length: columns }, (_, c) => {
    let any = false;
    for (const row of rows) {
      const cell = row[c];
      if (cell === undefined || cell.trim() === '') continue;
      if (numberOf(cell) === null) return false;
      any = true;
    }
    return any;
  });
}

export interface CsvSort {
  column: number;
  descending: boolean;
}

/** The body rows sorted (stable: equal rows keep the file's order); empty cells stay last either way. */
export function sortRows(rows: readonly string[][], sort: CsvSort | null): string[][] {
  if (!sort) return [...rows];
  const sign = sort.descending ? -1 : 1;
  return rows
    .map((row, i) => ({ row, i }))
    .sort((x, y) => {
      const a = x.row[sort.column];
      const b = y.row[sort.column];
      const empty = (v: string | undefined) => v === undefined || v.trim() === '';
      const c = empty(a) || empty(b) ? compareCells(a, b) : sign * compareCells(a, b);
      return c || x.i - y.i;
    })
    .map((x) => x.row);
}
