import { test } from 'node:test';
import assert from 'node:assert/strict';
import { intersectBounds } from '../src/tensor/arrays.js';

test('intersectBounds keeps the tighter side of each entry and ignores NaN', () => {
  const lo = Float64Array.from([0, -1, -2, 5]);
  const hi = Float64Array.from([1, 3, 2, 6]);
  intersectBounds(lo, hi, [0.5, -3, NaN, 4], [2, 1, NaN, 5.5]);
  assert.deepEqual(Array.from(lo), [0.5, -1, -2, 5]);
  assert.deepEqual(Array.from(hi), [1, 1, 2, 5.5]);
});
