import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tanh } from '../../src/network/activations/tanh.js';
import { checkActivationContract, relaxationGap } from '../helpers/activation-check.js';

test('tanh: lines sandwich the function on random intervals (wide, narrow, unbounded, huge)', () => {
  assert.ok(checkActivationContract(tanh, 31).checked > 10000);
});

test('tanh: tight across 0 and on one side', () => {
  for (const [l, u] of [[-1, 1], [-0.5, 2], [1, 2]] as const) {
    const box = (tanh.upperOf(l, u) - tanh.lowerOf(l, u)) * (u - l);
    assert.ok(relaxationGap(tanh, l, u) < 0.35 * box);
  }
  assert.equal(tanh.lowerOf(-Infinity, 0), -1);
  assert.equal(tanh.upperOf(0, Infinity), 1);
});
