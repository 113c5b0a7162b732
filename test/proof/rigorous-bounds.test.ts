/**
 * The checker's own bounds: valid (never above what sampled points reach,
 * intervals that contain every sampled pre-activation), as tight as the
 * solver's CROWN with the same relaxation, valid for any slopes in [0,1]
 * and split multipliers >= 0, and below the exact value where rounding
 * would otherwise push a float bound above it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crown } from '../../src/bounds/crown.js';
import { checkNetOf } from '../../src/proof/check/check-net.js';
import { combinedRowBound, nodeBounds, type RowDuals } from '../../src/proof/check/rigorous-bounds.js';
import type { LayeredNet } from '../../src/network/layered.js';
import { canonicalBox } from '../helpers/canonical.js';
import { makeRng, randomCase, randomSplits, sampleStats } from '../helpers/random-net.js';

const CASE = { widthSpread: 8, outputSpread: 3, identityEvery: 4, minBoxWidth: 0.3 };

function rootState(net: LayeredNet, lower: Float64Array, upper: Float64Array, splits?: Int8Array[]) {
  const cn = checkNetOf(canonicalBox(net, lower, upper, Array.from({ length: net.outputDim }, () => 0)));
  const sp = splits ?? net.layers.slice(0, -1).map((l) => new Int8Array(l.outDim));
  return { cn, st: nodeBounds(cn, lower, upper, sp, null, 0) };
}

test('intermediate bounds contain every sampled pre-activation; row bounds stay below sampled minima and match CROWN', async () => {
  let compared = 0;
  for (let seed = 1; seed <= 24; seed++) {
    const { net, boxes } = randomCase(seed, CASE);
    for (const { lower, upper } of boxes) {
      const { cn, st: stp } = rootState(net, lower, upper);
      const st = await stp;
      const s = sampleStats(net, lower, upper, 400, makeRng(seed));
      st.L.forEach((L, k) => {
        for (let j = 0; j < L.length; j++) {
          assert.ok(L[j] <= s.preMin[k][j] && st.Ub[k][j] >= s.preMax[k][j], `seed ${seed} neuron ${k}:${j}`);
        }
      });
      const solver = await crown().bound(net, { size: 1, lower, upper });
      for (let r = 0; r < net.outputDim; r++) {
        const lb = await combinedRowBound(cn, st, [[r, 1]]);
        assert.ok(lb <= s.min[r], `seed ${seed} row ${r}: bound ${lb} above sampled ${s.min[r]}`);
        // Same relaxation (adaptive slopes), only rounding apart.
        const c = solver.rowLower[r];
        assert.ok(Math.abs(lb - c) <= 1e-6 * (1 + Math.abs(c)) || lb > c, `seed ${seed} row ${r}: checker ${lb} vs CROWN ${c}`);
        compared++;
      }
    }
  }
  assert.ok(compared > 150);
});

test('any slopes in [0,1] and multipliers >= 0 give valid bounds on split nodes', async () => {
  let checked = 0;
  let empties = 0;
  for (let seed = 30; seed < 50; seed++) {
    const { net, boxes } = randomCase(seed, CASE);
    const rng = makeRng(seed);
    const { lower, upper } = boxes[0];
    const splits = await randomSplits(net, lower, upper, 3, rng);
    const { cn, st: stp } = rootState(net, lower, upper, splits);
    const st = await stp;
    const s = sampleStats(net, lower, upper, 3000, makeRng(seed), splits);
    if (st.empty) {
      // Empty only when the splits contradict: no sample may satisfy them.
      assert.equal(s.kept, 0, `seed ${seed}: claimed empty, yet ${s.kept} samples satisfy the splits`);
      empties++;
      continue;
    }
    for (let trial = 0; trial < 5; trial++) {
      const duals: RowDuals = {
        alpha: st.L.map((L) => new Map(Array.from(L.keys(), (j) => [j, rng()] as [number, number]))),
        beta: splits.map((sp) => new Map(Array.from(sp.keys()).filter((j) => sp[j] !== 0).map((j) => [j, 3 * rng()] as [number, number]))),
      };
      for (let r = 0; r < net.outputDim; r++) {
        const lb = await combinedRowBound(cn, st, [[r, 1]], duals);
        assert.ok(!(lb > s.min[r]), `seed ${seed} row ${r}: ${lb} above sampled ${s.min[r]} (${s.kept} samples)`);
        checked++;
      }
    }
  }
  assert.ok(checked > 200, `${checked} bounds checked (${empties} empty nodes)`);
});

test('rounding: bounds of a linear network stay below its exact minimum, computed in rational arithmetic', async () => {
  // Two layers with identity hidden neurons (a linear map): the exact minimum over
  // the box is a dyadic rational; weights spread over magnitudes so float sums cancel.
  let tight = 0;
  for (let seed = 0; seed < 60; seed++) {
    const rng = makeRng(1000 + seed);
    const n0 = 6;
    const h = 5;
    const scale = () => (rng() * 2 - 1) * 10 ** Math.floor(8 * rng() - 2);
    const W1 = Float64Array.from({ length: h * n0 }, scale);
    const b1 = Float64Array.from({ length: h }, scale);
    const W2 = Float64Array.from({ length: h }, scale);
    const b2 = Float64Array.of(scale());
    const lower = Float64Array.from({ length: n0 }, () => rng() * 2 - 1);
    const upper = Float64Array.from(lower, (l) => l + rng() * 0.5);
    const net: LayeredNet = {
      inputShape: [1, n0],
      inputDim: n0,
      outputDim: 1,
      layers: [
        { inDim: n0, outDim: h, W: W1, b: b1, identity: new Uint8Array(h).fill(1) },
        { inDim: h, outDim: 1, W: W2, b: b2 },
      ],
    };
    const { cn, st } = rootState(net, lower, upper);
    const lb = await combinedRowBound(cn, await st, [[0, 1]]);
    // Exact: g(x) = sum_i a_i x_i + e, a = W2 W1, e = W2·b1 + b2, minimised per coordinate.
    const e = rat(b2[0]);
    let exact = e;
    for (let j = 0; j < h; j++) exact = add(exact, mul(rat(W2[j]), rat(b1[j])));
    for (let i = 0; i < n0; i++) {
      let a = rat(0);
      for (let j = 0; j < h; j++) a = add(a, mul(rat(W2[j]), rat(W1[j * n0 + i])));
      exact = add(exact, mul(a, rat(a.n >= 0n ? lower[i] : upper[i])));
    }
    assert.ok(cmp(rat(lb), exact) <= 0, `seed ${seed}: bound ${lb} above the exact minimum`);
    if (cmp(rat(lb + 1e-6 * (1 + Math.abs(lb))), exact) >= 0) tight++;
  }
  assert.ok(tight >= 55, `${tight} of 60 within 1e-6 relative`);
});

test('rounding: the interval bound of a folded row (no hidden layer) stays below the exact minimum', async () => {
  // Spec rows C y - d over y = W x + b: the row's interval bound is the exact minimum up to rounding.
  let tight = 0;
  for (let seed = 0; seed < 60; seed++) {
    const rng = makeRng(2000 + seed);
    const n0 = 8;
    const m = 3;
    const scale = () => (rng() * 2 - 1) * 10 ** Math.floor(8 * rng() - 2);
    const W = Float64Array.from({ length: m * n0 }, scale);
    const b = Float64Array.from({ length: m }, scale);
    const lower = Float64Array.from({ length: n0 }, () => rng() * 2 - 1);
    const upper = Float64Array.from(lower, (l) => l + rng() * 0.5);
    const net: LayeredNet = { inputShape: [1, n0], inputDim: n0, outputDim: m, layers: [{ inDim: n0, outDim: m, W, b }] };
    const box = canonicalBox(net, lower, upper, [0, 0, 0]);
    const C = Float64Array.from({ length: m * m }, scale);
    const d = Float64Array.from({ length: m }, scale);
    const cn = { ...checkNetOf(box), C, d };
    const st = await nodeBounds(cn, lower, upper, [], null, 0);
    const w: [number, number][] = [
      [0, 0.3],
      [1, 1.7],
      [2, 0.1],
    ];
    const lb = await combinedRowBound(cn, st, w);
    // Exact: sum_r w_r (C_r (W x + b) - d_r), minimised per coordinate.
    let exact = rat(0);
    const coef = Array.from({ length: n0 }, () => rat(0));
    for (const [r, wr] of w) {
      exact = add(exact, mul(rat(-wr), rat(d[r])));
      for (let o = 0; o < m; o++) {
        const c = mul(rat(wr), rat(C[r * m + o]));
        exact = add(exact, mul(c, rat(b[o])));
        for (let i = 0; i < n0; i++) coef[i] = add(coef[i], mul(c, rat(W[o * n0 + i])));
      }
    }
    coef.forEach((a, i) => (exact = add(exact, mul(a, rat(a.n >= 0n ? lower[i] : upper[i])))));
    assert.ok(cmp(rat(lb), exact) <= 0, `seed ${seed}: bound ${lb} above the exact minimum`);
    if (cmp(rat(lb + 1e-6 * (1 + Math.abs(lb))), exact) >= 0) tight++;
  }
  assert.ok(tight >= 55, `${tight} of 60 within 1e-6 relative`);
});

/** Dyadic rationals n / 2^p, exact. */
interface Rat {
  n: bigint;
  p: bigint;
}
function rat(x: number): Rat {
  let p = 0n;
  while (!Number.isInteger(x)) {
    x *= 2;
    p++;
  }
  return { n: BigInt(x), p };
}
function align(a: Rat, b: Rat): [bigint, bigint, bigint] {
  const p = a.p > b.p ? a.p : b.p;
  return [a.n << (p - a.p), b.n << (p - b.p), p];
}
function add(a: Rat, b: Rat): Rat {
  const [x, y, p] = align(a, b);
  return { n: x + y, p };
}
function mul(a: Rat, b: Rat): Rat {
  return { n: a.n * b.n, p: a.p + b.p };
}
function cmp(a: Rat, b: Rat): number {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}
