import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gamma, inflate, nextDown, nextUp, U } from '../../src/proof/check/float.js';
import { exactLinearLeq } from '../../src/util/dyadic.js';

test('nextUp and nextDown step to the adjacent float, with no float in between', () => {
  const values = [0, 1, -1, 0.1, -0.1, 1e-310, -1e-310, 3.5e300, -2.25, Number.MIN_VALUE, -Number.MIN_VALUE, 123456.789];
  for (const x of values) {
    const up = nextUp(x);
    const down = nextDown(x);
    assert.ok(up > x && down < x, `${x}: ${down} < x < ${up}`);
    // Nothing strictly between: the midpoint rounds to one of the ends.
    for (const [a, b] of [
      [x, up],
      [down, x],
    ]) {
      const mid = a / 2 + b / 2;
      assert.ok(mid === a || mid === b, `${a} and ${b} are adjacent`);
    }
  }
  assert.equal(nextUp(Number.MAX_VALUE), Infinity);
  assert.equal(nextUp(1), 1 + 2 ** -52);
  assert.equal(nextDown(1), 1 - 2 ** -53);
  assert.ok(Number.isNaN(nextUp(NaN)));
});

test('gamma bounds the error of a float sum of n products: checked against exact dyadic sums', () => {
  let rng = 7;
  const next = () => ((rng = (rng * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  for (let t = 0; t < 200; t++) {
    const n = 1 + (t % 50);
    const a = Array.from({ length: n }, () => next() * 10 ** Math.floor(6 * next()));
    const b = Array.from({ length: n }, () => next());
    let s = 0;
    let mag = 0;
    for (let i = 0; i < n; i++) {
      s += a[i] * b[i];
      mag += Math.abs(a[i] * b[i]);
    }
    const err = gamma(n) * inflate(mag, n);
    // s - err <= exact <= s + err, compared exactly: a·b <= up and (-a)·b <= -down.
    assert.ok(exactLinearLeq(a, b, nextUp(s + err)), `case ${t}: above`);
    assert.ok(exactLinearLeq(a.map((v) => -v), b, -nextDown(s - err)), `case ${t}: below`);
  }
  assert.equal(gamma(1e20), Infinity);
  assert.ok(gamma(10) > 10 * U);
});
