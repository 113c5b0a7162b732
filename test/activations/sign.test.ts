import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sign } from '../../src/network/activations/sign.js';
import { checkActivationContract } from '../helpers/activation-check.js';

test('sign: lines sandwich the step on random intervals, including ones that start or end at 0', () => {
  assert.ok(checkActivationContract(sign, 41).checked > 10000);
});

test('sign: ONNX values (Sign(0) = 0) and the lines through the far corner', () => {
  assert.deepEqual([-2, -0, 0, 3].map(sign.evaluate), [-1, 0, 0, 1]);
  const out = { lowSlope: 0, lowIntercept: 0, upSlope: 0, upIntercept: 0 };
  sign.relax(-1, 4, out);
  // |l| < u: the lower line -1 + 2x/u beats the constant -1; the upper line stays the constant 1.
  assert.ok(Math.abs(out.lowSlope - 0.5) < 1e-15);
  assert.equal(out.upSlope, 0);
  assert.equal(out.upIntercept, 1);
  assert.ok(sign.isLinearOn(0.1, 3) && !sign.isLinearOn(0, 3) && !sign.isLinearOn(-1, 1));
});
