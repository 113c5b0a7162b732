/**
 * The contract every activation must meet (src/network/activations/activation.ts),
 * checked on random intervals of every scale: the relaxation lines sandwich f,
 * the interval image contains f, isLinearOn means the lines coincide with f,
 * split points lie strictly inside.
 */
import assert from 'node:assert/strict';
import type { Activation, RelaxLines } from '../../src/network/activations/activation.js';
import { makeRng } from './random-net.js';

/** Intervals: very wide, very narrow, one-sided, around 0, at huge magnitude, degenerate, unbounded. */
export function testIntervals(seed: number, count = 600): [number, number][] {
  const rng = makeRng(seed);
  const out: [number, number][] = [
    [-1, 1], [0, 1], [-1, 0], [0, 0], [-1e-9, 1e-9], [-1e6, 1e6], [-30, 30], [2, 3], [-3, -2], [-0.1, 5], [-5, 0.1],
    [-Infinity, 1], [-1, Infinity], [-Infinity, Infinity], [1e-300, 1e-299], [-40, -39.999999], [700, 800], [-800, -700],
    [0, 1e-12], [-1e-12, 0], [-2, 2 + 1e-15],
  ];
  for (let i = 0; i < count; i++) {
    const scale = 10 ** (rng() * 14 - 8); // 1e-8 .. 1e6
    const c = (rng() * 2 - 1) * 10 ** (rng() * 4 - 2) * (rng() < 0.2 ? 0 : 1);
    const w = scale * rng();
    out.push([c - w * rng(), c + w * rng()]);
  }
  return out;
}

/** Points of [l, u] where a violation would show: ends, 0 and near 0, and uniform samples. */
function probePoints(l: number, u: number, rng: () => number): number[] {
  const lo = Number.isFinite(l) ? l : -1e3;
  const hi = Number.isFinite(u) ? u : 1e3;
  const pts = [lo, hi, 0.5 * (lo + hi)];
  for (const z of [0, -Number.MIN_VALUE, Number.MIN_VALUE, -1e-12, 1e-12]) if (z >= lo && z <= hi) pts.push(z);
  for (let i = 0; i < 40; i++) pts.push(lo + (hi - lo) * rng());
  return pts;
}

/** Exact-arithmetic check that a·x + c <= y (or >= y), allowing only float64 rounding of the comparison itself. */
function lineValue(a: number, c: number, x: number): number {
  return a * x + c;
}

export function checkActivationContract(act: Activation, seed: number): { checked: number } {
  const rng = makeRng(seed + 1);
  const lines: RelaxLines = { lowSlope: NaN, lowIntercept: NaN, upSlope: NaN, upIntercept: NaN };
  let checked = 0;
  for (const [l, u] of testIntervals(seed)) {
    act.relax(l, u, lines);
    const { lowSlope, lowIntercept, upSlope, upIntercept } = lines;
    for (const v of [lowSlope, lowIntercept, upSlope, upIntercept]) assert.ok(!Number.isNaN(v), `${act.key}: NaN line on [${l}, ${u}]`);
    const lo = act.lowerOf(l, u);
    const hi = act.upperOf(l, u);
    assert.ok(lo <= hi, `${act.key}: interval image [${lo}, ${hi}] of [${l}, ${u}] is empty`);
    for (const x of probePoints(l, u, rng)) {
      const y = act.evaluate(x);
      // The line is evaluated in float64 here too; the contract is exact, so
      // allow only the rounding of this check (a few ulps of the terms).
      const tolLow = 4 * Number.EPSILON * (Math.abs(lowSlope * x) + Math.abs(lowIntercept) + Math.abs(y));
      const tolUp = 4 * Number.EPSILON * (Math.abs(upSlope * x) + Math.abs(upIntercept) + Math.abs(y));
      assert.ok(lineValue(lowSlope, lowIntercept, x) <= y + tolLow, `${act.key}: lower line ${lowSlope}x+${lowIntercept} above f(${x}) = ${y} on [${l}, ${u}]`);
      assert.ok(lineValue(upSlope, upIntercept, x) >= y - tolUp, `${act.key}: upper line ${upSlope}x+${upIntercept} below f(${x}) = ${y} on [${l}, ${u}]`);
      assert.ok(lo <= y && y <= hi, `${act.key}: f(${x}) = ${y} outside its interval image [${lo}, ${hi}] on [${l}, ${u}]`);
      checked++;
    }
    const sp = act.splitPoint(l, u);
    if (!Number.isNaN(sp)) assert.ok(l < sp && sp < u, `${act.key}: split point ${sp} not inside (${l}, ${u})`);
    if (act.isLinearOn(l, u) && Number.isFinite(l) && Number.isFinite(u)) {
      // Linear on [l, u]: both lines are f itself there.
      for (const x of [l, u, 0.5 * (l + u)]) {
        const y = act.evaluate(x);
        const tol = 1e-12 * (1 + Math.abs(y) + Math.abs(x));
        assert.ok(Math.abs(lineValue(lowSlope, lowIntercept, x) - y) <= tol && Math.abs(lineValue(upSlope, upIntercept, x) - y) <= tol, `${act.key}: isLinearOn(${l}, ${u}) but the lines are not f at ${x}`);
      }
    }
  }
  return { checked };
}

/** Area between the lines over [l, u] (a tightness measure). */
export function relaxationGap(act: Activation, l: number, u: number): number {
  const lines: RelaxLines = { lowSlope: 0, lowIntercept: 0, upSlope: 0, upIntercept: 0 };
  act.relax(l, u, lines);
  const at = (x: number) => lines.upSlope * x + lines.upIntercept - (lines.lowSlope * x + lines.lowIntercept);
  return 0.5 * (at(l) + at(u)) * (u - l);
}
