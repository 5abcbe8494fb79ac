import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BLOCKS,
  regenerate,
  renderErrorTable,
  renderStatusSummary,
  replaceBlock,
} from '../../../scripts/error-table.mjs';
import { ERROR_DOCS, ERROR_STATUS, type ErrorCode } from '../../../shared/errors.js';

describe('the generated error tables', () => {
  test('the docs hold exactly what npm run docs:errors would write', () => {
    for (const { file, current, wanted } of regenerate()) {
      assert.equal(current, wanted, `${file} is out of date with shared/errors.ts: run npm run docs:errors`);
    }
  });

  test('every code is in the table once, with its status and a meaning and action', () => {
    const table = renderErrorTable();
    for (const code of Object.keys(ERROR_STATUS) as ErrorCode[]) {
      const rows = table.split('\n').filter((l) => l.startsWith(`| \`${code}\` `));
      assert.equal(rows.length, 1, code);
      const cells = rows[0].split(' | ').map((c) => c.trim());
      assert.equal(cells[1], String(ERROR_STATUS[code]), code);
      assert.ok(ERROR_DOCS[code].meaning.length > 10 && ERROR_DOCS[code].action.length > 10, code);
    }
    assert.deepEqual(Object.keys(ERROR_DOCS).sort(), Object.keys(ERROR_STATUS).sort());
  });

  test('the README summary lists each code under its status', () => {
    const summary = renderStatusSummary();
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      const row = summary.split('\n').find((l) => l.startsWith(`| ${status} `));
      assert.ok(row?.includes(`\`${code}\``), `${code} under ${status}`);
    }
  });

  test('a hand edit between the markers is caught, and missing markers fail loudly', () => {
    const block = BLOCKS[0];
    const [{ wanted }] = regenerate();
    const edited = wanted.replace('| `query_timeout`', '| `query_timed_out`');
    assert.notEqual(replaceBlock(edited, block.marker, block.render()), edited);
    assert.equal(replaceBlock(edited, block.marker, block.render()), wanted);
    assert.throws(() => replaceBlock('no markers here', block.marker, 'x'), /markers/);
  });

  test('no hand-written error table is left outside the markers', () => {
    for (const { file, current } of regenerate()) {
      const outside = current.replace(/<!-- [a-z-]+:begin[\s\S]*?:end -->/g, '');
      assert.doesNotMatch(outside, /^\| `?[a-z_]+_(unavailable|failed|found)`? +\| \d{3}/m, file);
      assert.doesNotMatch(outside, /^\| 4\d\d(\s*\/\s*\d{3})? +\| `/m, file);
    }
  });
});
