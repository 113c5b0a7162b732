/**
 * The rounding error bounds of src/problem/rounding.ts and the emptiness rule
 * of applyDomainConstraints that depends on them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDomainConstraints, splitDomains } from '../src/bounds/ibp.js';
import { crown } from '../src/bounds/crown.js';
import { ABSOLUTE_MARGIN, errorScale, rowMargins } from '../src/problem/rounding.js';
import { batchOf, makeRng, randomNet, sampleBox } from './helpers/random-net.js';

/** Pre-activations at x, each dot product summed in the order given by `reverse`. */
function preActivations(W: Float64Array, b: Float64Array, nIn: number, x: Float64Array, reverse: boolean): Float64Array {
  const out = new Float64Array(b.length);
  for (let j = 0; j < b.length; j++) {
    let s = 0;
    if (reverse) for (let i = nIn - 1; i >= 0; i--) s += W[j * nIn + i] * x[i];
    else for (let i = 0; i < nIn; i++) s += W[j * nIn + i] * x[i];
    out[j] = reverse ? s + b[j] : b[j] + s;
  }
  return out;
}

test('the error bound dominates the rounding differences of two summation orders, on large magnitudes', () => {
  const rng = makeRng(5);
  let worstRatio = 0;
  for (let trial = 0; trial < 20; trial++) {
    const n0 = 200;
    const net = randomNet(rng, [n0, 64, 64, 3]);
    // Inputs in the hundreds: pre-activations of thousands that cancel.
    const lower = Float64Array.from({ length: n0 }, () => -300 * rng());
    const upper = Float64Array.from(lower, (l) => l + 600 * rng());
    const scale = errorScale(net, lower, upper);
    const x = sampleBox(rng, lower, upper);
    let a: Float64Array = x;
    let c: Float64Array = x;
    for (let k = 0; k < net.layers.length; k++) {
      const L = net.layers[k];
      const za = preActivations(L.W, L.b, L.inDim, a, false);
      const zc = preActivations(L.W, L.b, L.inDim, c, true);
      const tol = k < net.layers.length - 1 ? scale.hidden[k] : scale.output;
      for (let j = 0; j < za.length; j++) {
        const d = Math.abs(za[j] - zc[j]);
        assert.ok(d <= tol[j], `layer ${k} neuron ${j}: difference ${d} above the bound ${tol[j]}`);
        if (tol[j] > 0) worstRatio = Math.max(worstRatio, d / tol[j]);
      }
      a = za.map((v) => Math.max(v, 0));
      c = zc.map((v) => Math.max(v, 0));
    }
  }
  // The bound must not be vacuous either: it is at most a few thousand times the observed error.
  assert.ok(worstRatio > 1e-5, `bound far above any observed error (ratio ${worstRatio})`);
});

test('margins grow with the magnitudes and never drop below the absolute floor', () => {
  const rng = makeRng(2);
  const net = randomNet(rng, [10, 16, 2]);
  const small = rowMargins(errorScale(net, new Float64Array(10).fill(-1), new Float64Array(10).fill(1)));
  const large = rowMargins(errorScale(net, new Float64Array(10).fill(-1e9), new Float64Array(10).fill(1e9)));
  for (let r = 0; r < 2; r++) {
    assert.ok(small[r] >= ABSOLUTE_MARGIN);
    // Inputs 1e9 times larger: the rounding part of the margin grows about as much.
    assert.ok(large[r] - ABSOLUTE_MARGIN > 1e8 * (small[r] - ABSOLUTE_MARGIN), `margin ${large[r]} does not scale (small box: ${small[r]})`);
    assert.ok(small[r] - ABSOLUTE_MARGIN > 0);
  }
});

test('a domain without split constraints is never empty; crossings are widened, NaN is no information', () => {
  const B = 2;
  const n = 3;
  const batch = { size: B, lower: new Float64Array(B), upper: new Float64Array(B) };
  const lower = Float64Array.of(5, NaN, 0, 1, 1, 1);
  const upper = Float64Array.of(4, 1, NaN, 2, 2, 2);
  const infeasible = new Uint8Array(B);
  const tol = new Float64Array(n).fill(1e-12);
  applyDomainConstraints(batch, 0, n, undefined, lower, upper, infeasible, tol, splitDomains(batch, () => undefined));
  assert.deepEqual(Array.from(infeasible), [0, 0]);
  assert.deepEqual([lower[0], upper[0]], [4, 5]);
  assert.equal(lower[1], -Infinity);
  assert.equal(upper[2], Infinity);
});

test('a split domain is empty only when the crossing exceeds the rounding tolerance', () => {
  const n = 2;
  const splits = [Int8Array.of(1, 0, 1, 0)];
  const batch = { size: 2, lower: new Float64Array(2), upper: new Float64Array(2), splits };
  const split = splitDomains(batch, () => undefined);
  assert.deepEqual(Array.from(split), [1, 1]);
  // Neuron 0 is split active (lower clamped to 0); its upper bound is slightly (domain 0) or clearly (domain 1) negative.
  const lower = Float64Array.of(-1, -1, -1, -1);
  const upper = Float64Array.of(-1e-13, 1, -1e-3, 1);
  const infeasible = new Uint8Array(2);
  applyDomainConstraints(batch, 0, n, undefined, lower, upper, infeasible, Float64Array.of(1e-12, 1e-12), split);
  assert.deepEqual(Array.from(infeasible), [0, 1]);
  assert.ok(lower[0] <= upper[0]);
  assert.equal(lower[0], 0, 'the split sign is kept while widening');
});

test('CROWN on a zero-width box with huge activations keeps the domain and bounds it tightly', async () => {
  const rng = makeRng(9);
  const n0 = 300;
  const net = randomNet(rng, [n0, 40, 40, 2]);
  const x = Float64Array.from({ length: n0 }, () => 1e4 * (rng() * 2 - 1) + 1e-7);
  const res = await crown().bound(net, batchOf([{ lower: x, upper: x }]));
  const scale = errorScale(net, x, x);
  // Exact up to rounding: the bound equals the output at x within the error scale.
  let a: Float64Array = x;
  for (let k = 0; k < net.layers.length; k++) {
    const L = net.layers[k];
    const z = preActivations(L.W, L.b, L.inDim, a, false);
    a = k < net.layers.length - 1 ? z.map((v) => Math.max(v, 0)) : z;
  }
  for (let r = 0; r < 2; r++) {
    assert.ok(Number.isFinite(res.rowLower[r]), 'domain kept');
    assert.ok(Math.abs(res.rowLower[r] - a[r]) <= scale.output[r], `row ${r}: ${res.rowLower[r]} vs ${a[r]}`);
  }
});
