import { describe, expect, it } from 'vitest';
import { compareCells, numericColumns, sortRows } from '../src/lib/csvTable';

describe('CSV preview sorting', () => {
  it('orders numbers as numbers, text as read, numbers before text, empty cells last', () => {
    expect(['10', '9', '-3.5', '1e3', '+2'].sort(compareCells)).toEqual(['-3.5', '+2', '9', '10', '1e3']);
    expect(['file10', 'File2', 'file1'].sort(compareCells)).toEqual(['file1', 'File2', 'file10']);
    expect(['n/a', '', '5', ' '].sort(compareCells)).toEqual(['5', 'n/a', '', ' ']);
  });
  it('sorts descending with empty cells still last, and keeps the file order of equal rows', () => {
    const rows = [
      ['a', '2'],
      ['b', ''],
      ['c', '10'],
      ['d', '2'],
      ['e'],
    ];
    expect(sortRows(rows, { column: 1, descending: false }).map((r) => r[0])).toEqual(['a', 'd', 'c', 'b', 'e']);
    expect(sortRows(rows, { column: 1, descending: true }).map((r) => r[0])).toEqual(['c', 'a', 'd', 'b', 'e']);
    expect(sortRows(rows, null)).toEqual(rows);
    expect(sortRows(rows, null)).not.toBe(rows);
  });
  it('right-aligns a column only when every filled cell is a number', () => {
    expect(numericColumns([['a', '1', '', 'x'], ['b', '2.5', '', '3'], ['c', '']], 4)).toEqual([false, true, false, false]);
  });
});
