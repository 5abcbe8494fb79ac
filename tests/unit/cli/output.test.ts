import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import type { GatewayCall } from '../../../cli/http.js';
import { counted, printAnswer, printReport, rowsTable, tableText } from '../../../cli/output.js';
import { runWithIo } from '../../support/capture-io.js';

const call = (status: number, body: unknown): GatewayCall => ({
  status,
  ok: status >= 200 && status < 300,
  text: JSON.stringify(body),
  body,
  requestId: 'r-1',
  baseUrl: 'http://127.0.0.1:1',
});

/** Runs one printer against captured streams. */
const capture = (print: (io: Parameters<typeof printReport>[0]) => number) =>
  runWithIo(async (_argv, io) => print(io), [], { cwd: '.' });

describe('cli output', () => {
  it('prints a table, then its footer lines, each ending in a newline', () => {
    const text = tableText({ columns: ['a', 'b'], rows: [{ a: 1, b: 'x' }], footer: '(1 row)' });
    assert.equal(text, 'a | b\n--+--\n1 | x\n(1 row)\n');
    const many = tableText({ columns: ['a'], rows: [], footer: ['', 'one', 'two'] });
    assert.equal(many, 'a\n-\n\none\ntwo\n');
  });

  it('prints the empty message instead of a table without rows, and the header alone without one', () => {
    assert.equal(
      tableText({ columns: ['a'], rows: [], empty: 'nothing here', footer: 'end' }),
      'nothing here\nend\n',
    );
    assert.equal(tableText({ columns: ['a'], rows: [{ a: 1 }], empty: 'nothing here' }), 'a\n-\n1\n');
    assert.equal(tableText({ columns: ['a'], rows: [] }), 'a\n-\n');
  });

  it('cuts cells at maxWidth', () => {
    const text = tableText({ columns: ['a'], rows: [{ a: 'abcdefgh' }], maxWidth: 4 });
    assert.match(text, /^abc…$/m);
  });

  it('counts with the plural unless there is exactly one', () => {
    assert.equal(counted(0, 'row'), '0 rows');
    assert.equal(counted(1, 'row'), '1 row');
    assert.equal(counted(2, 'pending request'), '2 pending requests');
    assert.equal(counted(2, 'policy', 'policies'), '2 policies');
  });

  it('sums up a result of rows: lead, count, truncation, masked cells, tail', () => {
    const result = { columns: [{ name: 'id' }], rows: [{ id: 1 }], rowCount: 1, truncated: false };
    assert.equal(rowsTable(result, 'request r').footer, '(1 row; request r)');
    assert.equal(
      rowsTable({ ...result, rowCount: 5, truncated: true, masking: { cellsMasked: 3 } }, 'request r', 'csv')
        .footer,
      '(csv, 5 rows, truncated, 3 cells masked; request r)',
    );
    assert.equal(rowsTable({ ...result, masking: null }, 't').footer, '(1 row; t)');
    assert.deepEqual(rowsTable(result, 't').columns, ['id']);
  });

  const schema = z.object({ n: z.number() });
  const out = { command: 'thing show', schema, render: (b: { n: number }) => `n=${b.n}\n` };

  it('--json prints the answer as it came, exit 1 when the call failed', async () => {
    const ok = await capture((io) =>
      printAnswer(io, call(200, { n: 'not a number' }), { ...out, json: true }),
    );
    assert.deepEqual([ok.code, ok.out, ok.err], [0, '{"n":"not a number"}\n', '']);
    const failed = await capture((io) => printAnswer(io, call(404, { error: 'x' }), { ...out, json: true }));
    assert.deepEqual([failed.code, failed.out], [1, '{"error":"x"}\n']);
  });

  it('renders a well-formed answer and reports a failure or an unexpected shape on stderr', async () => {
    const ok = await capture((io) => printAnswer(io, call(200, { n: 2 }), { ...out, json: false }));
    assert.deepEqual([ok.code, ok.out, ok.err], [0, 'n=2\n', '']);
    const bad = await capture((io) => printAnswer(io, call(200, { n: 'two' }), { ...out, json: undefined }));
    assert.equal(bad.code, 1);
    assert.equal(bad.out, '');
    assert.match(bad.err, /agentgate thing show: unexpected HTTP 200/);
    const refused = await capture((io) =>
      printAnswer(io, call(403, { error: { code: 'forbidden', message: 'no' } }), { ...out, json: false }),
    );
    assert.equal(refused.code, 1);
    assert.equal(refused.out, '');
    assert.match(refused.err, /error 403 forbidden: no/);
  });

  it('prints a local report as indented JSON or as its text', async () => {
    const json = await capture((io) => {
      printReport(io, true, { a: [1] }, () => 'text\n');
      return 0;
    });
    assert.equal(json.out, '{\n  "a": [\n    1\n  ]\n}\n');
    const text = await capture((io) => {
      printReport(io, false, { a: [1] }, () => 'text\n');
      return 0;
    });
    assert.equal(text.out, 'text\n');
  });
});
