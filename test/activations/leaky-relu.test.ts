import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leakyRelu } from '../../src/network/activations/leaky-relu.js';
import { activationByKey } from '../../src/network/activations/registry.js';
import { checkActivationContract } from '../helpers/activation-check.js';

test('leaky relu: lines sandwich the function for slopes below, at and above 1 and negative', () => {
  for (const [i, a] of [0.01, 0.2, 1, 3, -0.5].entries()) assert.ok(checkActivationContract(leakyRelu(a), 51 + i).checked > 10000);
});

test('leaky relu: chord above when convex, the key round-trips through the registry', () => {
  const act = leakyRelu(0.1);
  const out = { lowSlope: 0, lowIntercept: 0, upSlope: 0, upIntercept: 0 };
  act.relax(-2, 2, out);
  assert.ok(Math.abs(out.upSlope - 0.55) < 1e-12);
  assert.equal(out.lowSlope, 1);
  assert.equal(activationByKey(act.key).evaluate(-3), act.evaluate(-3));
});
