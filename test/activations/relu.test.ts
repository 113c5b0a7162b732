import { test } from 'node:test';
import assert from 'node:assert/strict';
import { relu } from '../../src/network/activations/relu.js';
import { checkActivationContract } from '../helpers/activation-check.js';

test('relu: lines sandwich max(x, 0) on random intervals of every scale', () => {
  assert.ok(checkActivationContract(relu, 11).checked > 10000);
});

test('relu: the triangle relaxation (chord above, adaptive lower slope), exact when stable', () => {
  const out = { lowSlope: 0, lowIntercept: 0, upSlope: 0, upIntercept: 0 };
  relu.relax(-1, 3, out);
  assert.deepEqual(out, { lowSlope: 1, lowIntercept: 0, upSlope: 0.75, upIntercept: 0.75 });
  relu.relax(-3, 1, out);
  assert.equal(out.lowSlope, 0);
  assert.equal(out.upSlope, 0.25);
  relu.relax(0.5, 2, out);
  assert.deepEqual(out, { lowSlope: 1, lowIntercept: 0, upSlope: 1, upIntercept: 0 });
  assert.equal(relu.splitPoint(-1, 1), 0);
  assert.ok(Number.isNaN(relu.splitPoint(0, 1)));
});
