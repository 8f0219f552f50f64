/** Reading every page of a list, bounded by the total the first page reports. */

export interface Page<T> {
  items: T[];
  total: number;
}

/**
 * Every item of a paged list, fetched `pageSize` at a time. Stops at the
 * total the server reported (plus one page, for items added meanwhile), so
 * a server that keeps answering full pages cannot keep it going forever.
 * `onPage` sees each page as it arrives (to show the first ones at once).
 */
export async function allPages<T>(
  fetchPage: (offset: number, limit: number) => Promise<Page<T>>,
  pageSize: number,
  onPage?: (items: T[], total: number) => void,
): Promise<T[]> {
  const out: T[] = [];
  let total = Infinity;
  let pages = 0;
  let maxPages = Infinity;
  while (out.length < total && pages < maxPages) {
    const page = await fetchPage(out.length, pageSize);
    pages += 1;
    if (total === Infinity) {
      total = page.total;
      maxPages = Math.ceil(page.total / pageSize) + 1;
    }
    out.push(...page.items);
    onPage?.(page.items, page.total);
    if (page.items.length < pageSize) break;
  }
  return out;
}
