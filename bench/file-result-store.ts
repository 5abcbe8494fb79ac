import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  ResultClosing,
  ResultOpening,
  ResultPage,
  ResultStore,
  ResultWriter,
  StoredResult,
} from '../shared/ports/result-store.js';
import { ResultText } from '../shared/store/result-text.js';

/**
 * Bench-only ResultStore that writes each result's text to a file as rows come (the same text
 * and digest as the Cosmos DB adapter's chunks, through ResultText), for a result too large for
 * the in-memory Cosmos DB emulator, whose inserts slow down with every item of a partition.
 * Nothing reads results back here: `get` answers null.
 */
export class FileResultStore implements ResultStore {
  readonly bytes = new Map<string, number>();
  constructor(private readonly dir: string) {}

  async put(): Promise<void> {
    throw new TypeError('FileResultStore only writes through open()');
  }

  open(opening: ResultOpening): ResultWriter {
    const file = join(this.dir, `${opening.id}.json`);
    const out = createWriteStream(file);
    const text = new ResultText();
    let written = 0;
    const write = (s: string) =>
      new Promise<void>((resolve, reject) => {
        written += Buffer.byteLength(s);
        out.write(s, (e) => (e ? reject(e) : resolve()));
      });
    const opened = write(text.open(opening.columns));
    return {
      append: async (rows) => {
        await opened;
        await write(text.rows(rows));
      },
      commit: async (_closing: ResultClosing) => {
        await opened;
        const closed = text.close();
        await write(closed.text);
        await new Promise<void>((resolve) => out.end(resolve));
        this.bytes.set(opening.id, written);
        return { digest: closed.digest, rows: closed.rows };
      },
      abort: async () => {
        out.destroy();
        await rm(file, { force: true });
      },
    };
  }

  async get(): Promise<StoredResult | null> {
    return null;
  }

  async getPage(): Promise<ResultPage | null> {
    return null;
  }

  async delete(id: string): Promise<void> {
    await rm(join(this.dir, `${id}.json`), { force: true });
  }
}
