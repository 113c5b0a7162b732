import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identity } from '../../src/network/activations/identity.js';
import { checkActivationContract } from '../helpers/activation-check.js';

test('identity: exact lines, never split', () => {
  assert.ok(checkActivationContract(identity, 61).checked > 10000);
  assert.ok(Number.isNaN(identity.splitPoint(-1, 1)));
});
