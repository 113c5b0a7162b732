import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sigmoid } from '../../src/network/activations/sigmoid.js';
import { checkActivationContract, relaxationGap } from '../helpers/activation-check.js';

test('sigmoid: lines sandwich the function on random intervals (wide, narrow, unbounded, huge)', () => {
  assert.ok(checkActivationContract(sigmoid, 21).checked > 10000);
});

test('sigmoid: no overflow at large |x|, value at 0, symmetric', () => {
  assert.equal(sigmoid.evaluate(0), 0.5);
  assert.equal(sigmoid.evaluate(-1000), 0);
  assert.equal(sigmoid.evaluate(1000), 1);
  assert.ok(Math.abs(sigmoid.evaluate(2) + sigmoid.evaluate(-2) - 1) < 1e-15);
});

test('sigmoid: lines are tight where they should be (tangent/chord, far tighter than the constant box)', () => {
  for (const [l, u] of [[-1, 1], [-4, 2], [0.5, 3], [-3, -0.5]] as const) {
    const box = (sigmoid.upperOf(l, u) - sigmoid.lowerOf(l, u)) * (u - l);
    const gap = relaxationGap(sigmoid, l, u);
    assert.ok(gap < 0.35 * box, `gap ${gap} vs constant box ${box} on [${l}, ${u}]`);
  }
  // On the convex side the upper line is the chord through both ends.
  const out = { lowSlope: 0, lowIntercept: 0, upSlope: 0, upIntercept: 0 };
  sigmoid.relax(-3, -1, out);
  const chord = (sigmoid.evaluate(-1) - sigmoid.evaluate(-3)) / 2;
  assert.ok(Math.abs(out.upSlope - chord) < 1e-12);
});
