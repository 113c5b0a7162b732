import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDecimal, parseInteger } from '../src/util/decimal.js';

test('numbers of flags: plain decimal only', () => {
  for (const [text, value] of [['12', 12], ['-0.5', -0.5], ['1e-3', 0.001], ['.5', 0.5], ['5.', 5], ['+3', 3]] as const) {
    assert.equal(parseDecimal(text), value, text);
  }
  for (const text of ['0x10', '0b1', '0o7', '', ' 5', '5 ', '1_000', 'Infinity', '-Infinity', 'NaN', '1e400', '1e', '.', '--1', '5s']) {
    assert.equal(parseDecimal(text), undefined, JSON.stringify(text));
  }
  assert.equal(parseInteger('42'), 42);
  assert.equal(parseInteger('-3'), -3);
  for (const text of ['1e3', '1.0', '0x10', '', '9007199254740993']) assert.equal(parseInteger(text), undefined, text);
});
