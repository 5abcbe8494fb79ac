import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestOf } from '../../shared/audit/result-digest.js';
import { isGatewayError } from '../../shared/errors.js';
import type { ResultStore, StoredResult } from '../../shared/ports/result-store.js';
import { DOT_IDS } from './request-store.contract.js';

export interface ResultStoreFixture {
  store: ResultStore;
  /** Alters one stored row (or the stored bytes holding it) behind the store's back. */
  tamper(resultId: string): Promise<void>;
  cleanup(): Promise<void>;
}

const CREATED = new Date(Date.UTC(2026, 0, 5, 9, 0, 0));
const HOUR = 3600_000;

/** A result of `rowCount` rows, each about `rowBytes` long, with non-ASCII text in it. */
export function storedResult(id: string, rowCount: number, rowBytes = 40): StoredResult {
  const columns = [
    { name: 'id', type: 'int4' },
    { name: 'note', type: 'text' },
  ];
  const filler = 'ünïcødé "quoted" \\ and plain text '.repeat(Math.ceil(rowBytes / 34)).slice(0, rowBytes);
  const rows = Array.from({ length: rowCount }, (_, i) => [i, `${i}:${filler}`]);
  return {
    id,
    requestId: `apr-${id}`,
    owner: { issuer: 'https://issuer.test', id: 'agent-1' },
    columns,
    rows,
    truncated: false,
    masking: { columns: { note: 'free_text' }, cellsMasked: 3, byClass: { email: 3 } },
    digest: digestOf({ columns, rows }),
    createdAt: CREATED.toISOString(),
    expiresAt: new Date(CREATED.getTime() + HOUR).toISOString(),
  };
}

const corrupt = (e: unknown) => isGatewayError(e) && e.code === 'internal';

/** The behaviour every ResultStore adapter must have; run against memory and Cosmos. */
export function runResultStoreContract(name: string, setup: () => Promise<ResultStoreFixture>): void {
  describe(`ResultStore contract: ${name}`, () => {
    async function withStore(body: (fixture: ResultStoreFixture) => Promise<void>): Promise<void> {
      const fixture = await setup();
      try {
        await body(fixture);
      } finally {
        await fixture.cleanup();
      }
    }
    const during = new Date(CREATED.getTime() + 10 * 60_000);

    it('reads back a small result exactly', () =>
      withStore(async ({ store }) => {
        const result = storedResult('r1', 3);
        await store.put(result);
        assert.deepEqual(await store.get('r1', during), result);
      }));

    it('reads back an empty result', () =>
      withStore(async ({ store }) => {
        const result = storedResult('r0', 0);
        await store.put(result);
        assert.deepEqual(await store.get('r0', during), result);
      }));

    it('round-trips a 5 MB result whole', () =>
      withStore(async ({ store }) => {
        const result = storedResult('big', 5000, 1000);
        assert.ok(JSON.stringify(result.rows).length > 5_000_000);
        await store.put(result);
        const read = await store.get('big', during);
        assert.ok(read);
        assert.equal(read.rows.length, 5000);
        assert.deepEqual(read, result);
      }));

    /** Writes `result` through the store's writer, `batch` rows per append. */
    async function writeInPieces(store: ResultStore, result: StoredResult, batch: number) {
      const { rows, digest: _digest, truncated, masking, ...opening } = result;
      const writer = store.open(opening);
      for (let i = 0; i < rows.length; i += batch) await writer.append(rows.slice(i, i + batch));
      return { writer, closing: { truncated, masking } };
    }

    it('writes a 5 MB result in pieces: invisible until commit, then as put would store it', () =>
      withStore(async ({ store }) => {
        const result = storedResult('pieces', 5000, 1000);
        const { writer, closing } = await writeInPieces(store, result, 700);
        assert.equal(await store.get('pieces', during), null, 'nothing visible before commit');
        const committed = await writer.commit(closing);
        assert.deepEqual(committed, { digest: result.digest, rows: 5000 });
        assert.deepEqual(await store.get('pieces', during), result);
      }));

    it('writes an empty result in pieces', () =>
      withStore(async ({ store }) => {
        const result = storedResult('pieces0', 0);
        const { writer, closing } = await writeInPieces(store, result, 10);
        assert.equal((await writer.commit(closing)).digest, result.digest);
        assert.deepEqual(await store.get('pieces0', during), result);
      }));

    it('leaves nothing visible after an abort', () =>
      withStore(async ({ store }) => {
        const result = storedResult('aborted', 3000, 1000);
        const { writer } = await writeInPieces(store, result, 1000);
        await writer.abort();
        assert.equal(await store.get('aborted', during), null);
        // The id is free again: a put after the abort succeeds.
        await store.put(result);
        assert.deepEqual(await store.get('aborted', during), result);
      }));

    it('refuses to commit a result in pieces over an existing id', () =>
      withStore(async ({ store }) => {
        const result = storedResult('twice', 2);
        await store.put(result);
        const { writer, closing } = await writeInPieces(store, result, 1);
        await assert.rejects(
          writer.commit(closing),
          (e: unknown) => isGatewayError(e) && e.code === 'conflict',
        );
        assert.deepEqual(await store.get('twice', during), result);
      }));

    it('answers null for an unknown id', () =>
      withStore(async ({ store }) => {
        assert.equal(await store.get('nope', during), null);
        await store.put(storedResult('present', 2));
        for (const id of ['a/b', 'a\\b', 'a?b#c', '\ud800', ...DOT_IDS]) {
          assert.equal(await store.get(id, during), null, id);
          assert.equal(await store.getPage(id, during, 0, 10), null, id);
        }
      }));

    it('answers null from expiresAt on, and not a moment before', () =>
      withStore(async ({ store }) => {
        const result = storedResult('r2', 2);
        await store.put(result);
        const expiry = Date.parse(result.expiresAt);
        assert.ok(await store.get('r2', new Date(expiry - 1)));
        assert.equal(await store.get('r2', new Date(expiry)), null);
        assert.equal(await store.get('r2', new Date(expiry + 24 * HOUR)), null);
      }));

    it('deletes a result, chunks and all', () =>
      withStore(async ({ store }) => {
        await store.put(storedResult('r3', 3000, 1000));
        await store.delete('r3');
        assert.equal(await store.get('r3', during), null);
        await store.delete('r3');
        // The id is free again: nothing of the old result was left behind.
        await store.put(storedResult('r3', 2));
        assert.equal((await store.get('r3', during))?.rows.length, 2);
      }));

    it('refuses a second put with the same id', () =>
      withStore(async ({ store }) => {
        await store.put(storedResult('r4', 2));
        await assert.rejects(
          store.put(storedResult('r4', 5)),
          (e) => isGatewayError(e) && e.code === 'conflict',
        );
        assert.equal((await store.get('r4', during))?.rows.length, 2);
      }));

    it('refuses a result whose stored rows were altered', () =>
      withStore(async ({ store, tamper }) => {
        await store.put(storedResult('r5', 3000, 1000));
        await tamper('r5');
        await assert.rejects(store.get('r5', during), corrupt);
      }));

    it('hands out copies: changing a returned result changes nothing stored', () =>
      withStore(async ({ store }) => {
        await store.put(storedResult('r6', 2));
        const read = (await store.get('r6', during))!;
        read.rows[0]![1] = 'changed';
        assert.deepEqual(await store.get('r6', during), storedResult('r6', 2));
      }));

    it('pages: first, middle (across row marks and chunks), last, past the end', () =>
      withStore(async ({ store }) => {
        const result = storedResult('paged', 2600, 1000);
        const writer = store.open(result);
        for (let i = 0; i < result.rows.length; i += 700) await writer.append(result.rows.slice(i, i + 700));
        await writer.commit({ truncated: result.truncated, masking: result.masking });
        for (const [offset, limit] of [
          [0, 100],
          [450, 600],
          [499, 2],
          [500, 500],
          [2550, 500],
          [0, 5000],
        ] as const) {
          const page = await store.getPage('paged', during, offset, limit);
          assert.deepEqual(page?.rows, result.rows.slice(offset, offset + limit), `page ${offset}+${limit}`);
          assert.equal(page?.rowCount, 2600);
          assert.equal(page?.digest, result.digest);
          assert.deepEqual(page?.columns, result.columns);
        }
        assert.deepEqual((await store.getPage('paged', during, 2600, 10))?.rows, []);
        assert.equal(await store.getPage('nope', during, 0, 10), null);
      }));

    it('pages a result put whole and an empty one', () =>
      withStore(async ({ store }) => {
        const result = storedResult('paged-put', 1200, 300);
        await store.put(result);
        assert.deepEqual(
          (await store.getPage('paged-put', during, 1100, 200))?.rows,
          result.rows.slice(1100),
        );
        await store.put(storedResult('paged-empty', 0));
        const empty = await store.getPage('paged-empty', during, 0, 10);
        assert.deepEqual(empty?.rows, []);
        assert.deepEqual(empty?.columns, storedResult('paged-empty', 0).columns);
      }));

    it('refuses a page whose stored bytes were altered', () =>
      withStore(async ({ store, tamper }) => {
        await store.put(storedResult('r7', 3000, 1000));
        await tamper('r7');
        await assert.rejects(
          (async () => {
            for (let offset = 0; offset < 3000; offset += 500) await store.getPage('r7', during, offset, 500);
          })(),
          corrupt,
        );
      }));
  });
}
