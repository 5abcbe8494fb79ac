/**
 * Which bytes of a stored result's text hold rows `offset` .. `offset + limit`, from the row
 * offsets its writer kept (every `markEvery`-th row's start): the span runs from the mark at
 * or before the first row to the mark at or after the last (or the end of the rows), so a
 * page reads at most `markEvery` rows more than it answers on each side, whatever the result's size.
 */

export interface PageLayout {
  rowCount: number;
  rowMarks: readonly number[];
  markEvery: number;
  /** Bytes of the whole text, `{"columns":...,"rows":[` to `]}`. */
  bytes: number;
  chunkBytes: number;
}

export interface PageSpan {
  /** Chunk indices to read, first and last (inclusive). */
  firstChunk: number;
  lastChunk: number;
  /** The span's bytes, as offsets into the text. */
  from: number;
  to: number;
  /** Rows of the span before the page's first row. */
  skip: number;
  /** Rows the page answers. */
  take: number;
}

/** The layout as stored, or null when it does not add up (the caller then refuses the result). */
export function checkLayout(layout: Partial<PageLayout>): PageLayout | null {
  const { rowCount, rowMarks, markEvery, bytes, chunkBytes } = layout;
  const int = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
  if (
    !int(rowCount) ||
    !int(markEvery) ||
    markEvery < 1 ||
    !int(bytes) ||
    !int(chunkBytes) ||
    chunkBytes < 1
  ) {
    return null;
  }
  if (!Array.isArray(rowMarks) || rowMarks.length !== Math.ceil(rowCount / markEvery)) return null;
  for (let i = 0; i < rowMarks.length; i++) {
    const mark = rowMarks[i];
    if (!int(mark) || mark >= bytes || (i > 0 && mark <= (rowMarks[i - 1] as number))) return null;
  }
  return { rowCount, rowMarks, markEvery, bytes, chunkBytes };
}

/** The span of a page; null for a page past the end (no rows to read). */
export function pageSpan(layout: PageLayout, offset: number, limit: number): PageSpan | null {
  const end = Math.min(layout.rowCount, offset + limit);
  if (offset >= end) return null;
  const firstMark = Math.floor(offset / layout.markEvery);
  const lastMark = Math.ceil(end / layout.markEvery);
  const from = layout.rowMarks[firstMark] as number;
  // Up to the next mark's row (less its comma), or to the closing `]}` of the rows.
  const to = lastMark < layout.rowMarks.length ? (layout.rowMarks[lastMark] as number) - 1 : layout.bytes - 2;
  return {
    firstChunk: Math.floor(from / layout.chunkBytes),
    lastChunk: Math.floor((to - 1) / layout.chunkBytes),
    from,
    to,
    skip: offset - firstMark * layout.markEvery,
    take: end - offset,
  };
}
