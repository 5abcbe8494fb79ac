import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { functionLengths, lengthsIn } from '../../../scripts/longest-functions.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
/** Issue 8: the core stays a set of functions a reader can follow. */
const LIMIT = 80;

test(`every function in shared/ is under ${LIMIT} lines`, () => {
  const found = functionLengths(join(ROOT, 'shared'));
  assert.ok(found.length > 100, 'the walk found the functions of shared/');
  const tooLong = found.filter((f) => f.lines >= LIMIT).map((f) => `${f.lines} ${f.where}`);
  assert.deepEqual(tooLong, []);
});

test('a factory counts with the methods and inner functions it returns', () => {
  const text = [
    'export function make() {', // 1
    '  const inner = () => {', // 2
    '    return 1;', // 3
    '  };', // 4
    '  return {', // 5
    '    method() {', // 6
    '      return inner();', // 7
    '    },', // 8
    '  };', // 9
    '}', // 10
    'declare function bodiless(): void;', // 11
    'class C { run(): void {} }', // 12
  ].join('\n');
  const lengths = lengthsIn('x.ts', text).map((f) => [f.where, f.lines]);
  assert.deepEqual(lengths, [
    ['x.ts:1 make', 10],
    ['x.ts:2 (anonymous)', 3],
    ['x.ts:6 method', 3],
    ['x.ts:12 run', 1],
  ]);
});
