import { createHash, type Hash } from 'node:crypto';
import type { ResultClosing, ResultOpening, ResultWriter, StoredResult } from '../ports/result-store.js';

/** Rows between two kept row offsets: a page reads at most this many rows more than it answers, each side. */
export const ROW_MARK_EVERY = 500;

/**
 * The JSON text of `{"columns":[...],"rows":[...]}` produced a batch of rows at a time, and its
 * SHA-256 as it goes: the same bytes as `JSON.stringify({ columns, rows })` and the same digest
 * as `digestOf` (shared/audit/result-digest.ts), without ever holding the whole text.
 */
export class ResultText {
  readonly #hash: Hash = createHash('sha256');
  readonly #markEvery: number;
  readonly #marks: number[] = [];
  #bytes = 0;
  #rows = 0;
  #closed = false;

  /** `markEvery`: the byte offset of every markEvery-th row's text is kept (see `marks`). */
  constructor(markEvery = ROW_MARK_EVERY) {
    this.#markEvery = markEvery;
  }

  /** Byte offsets in the text where rows 0, markEvery, 2 * markEvery, ... begin (after any comma). */
  get marks(): readonly number[] {
    return this.#marks;
  }

  /** Bytes of text emitted so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The opening text; call first, once. */
  open(columns: ReadonlyArray<{ name: string; type: string }>): string {
    return this.#emit(`{"columns":${JSON.stringify(columns)},"rows":[`);
  }

  /** The text of these rows, comma-separated from any before them. */
  rows(rows: readonly unknown[][]): string {
    if (this.#closed) throw new TypeError('rows appended after the result was closed');
    let text = '';
    for (const row of rows) {
      if (this.#rows > 0) text += ',';
      if (this.#rows % this.#markEvery === 0) this.#marks.push(this.#bytes + Buffer.byteLength(text, 'utf8'));
      text += JSON.stringify(row);
      this.#rows++;
    }
    return this.#emit(text);
  }

  /** The closing text, and the digest and row count of everything emitted. */
  close(): { text: string; digest: string; rows: number } {
    const text = this.#emit(']}');
    this.#closed = true;
    return { text, digest: this.#hash.digest('hex'), rows: this.#rows };
  }

  #emit(text: string): string {
    this.#hash.update(text, 'utf8');
    this.#bytes += Buffer.byteLength(text, 'utf8');
    return text;
  }
}

/**
 * A ResultWriter for stores that keep a result in one piece: collects the rows and `put`s the
 * whole result on commit. For stores whose results are small or held in memory anyway.
 */
export function collectingWriter(
  opening: ResultOpening,
  put: (result: StoredResult) => Promise<void>,
): ResultWriter {
  const text = new ResultText();
  text.open(opening.columns);
  const rows: unknown[][] = [];
  return {
    append: async (batch) => {
      text.rows(batch);
      for (const row of batch) rows.push(row);
    },
    commit: async (closing: ResultClosing) => {
      const { digest } = text.close();
      await put({ ...opening, ...closing, rows, digest });
      return { digest, rows: rows.length };
    },
    abort: async () => {
      rows.length = 0;
    },
  };
}
