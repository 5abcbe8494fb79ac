import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate, known } from '../../../shared/posture/arm/expression.js';

const scope = {
  parameter: (name: string) => (name === 'obj' ? known({ sku: 'Standard' }) : known(undefined)),
  variable: () => known(undefined),
};

test('member access reads own properties only: built-ins of the holding object are unknown', () => {
  assert.deepEqual(evaluate("[parameters('obj').sku]", scope).values, ['Standard']);
  for (const expr of [
    "[parameters('obj').constructor]",
    "[parameters('obj')['__proto__']]",
    "[parameters('obj').toString]",
  ]) {
    const value = evaluate(expr, scope);
    assert.ok(
      value.values.every((v) => typeof v !== 'function' && (typeof v !== 'object' || v === null)),
      expr,
    );
  }
});
