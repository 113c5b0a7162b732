/**
 * The witness invariant: no `unsat` while a violating float64 point is held,
 * and the counterexample policy for boxes that hold no float32 point.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { BOX_TOLERANCE, toFloat32Point } from '../src/attack/float32.js';
import { InconsistencyError, Witness } from '../src/attack/witness.js';
import { enforceWitnessInvariant } from '../src/engine/solve.js';
import { canonicalBox, float64Check } from './helpers/canonical.js';
import { netFromArrays } from './helpers/tiny-nets.js';

const log = pino({ level: 'silent' });

function problem() {
  // g(x) = x - 0.5 on [0, 1]: violated (g <= 0) for x <= 0.5.
  const net = netFromArrays([
    { W: [[1]], b: [0] },
    { W: [[1]], b: [-0.5] },
  ]);
  const box = canonicalBox(net, Float64Array.of(0), Float64Array.of(1), [0]);
  return { problem: { base: net, boxes: [box] }, check: () => float64Check(box) };
}

test('unsat while holding a violating point becomes sat when the point checks out', async () => {
  const { problem: p, check } = problem();
  const w = new Witness();
  w.note(0, -0.25, Float64Array.of(0.25), 'test');
  const saved = process.env.TSVERIFY_STRICT_WITNESS;
  delete process.env.TSVERIFY_STRICT_WITNESS;
  try {
    const out = await enforceWitnessInvariant({ verdict: 'unsat' }, p, check, w, log);
    assert.equal(out.verdict, 'sat');
    assert.equal(w.inconsistencies, 1);
  } finally {
    if (saved !== undefined) process.env.TSVERIFY_STRICT_WITNESS = saved;
  }
});

test('unsat while holding a violating point that does not check out becomes unknown', async () => {
  const { problem: p } = problem();
  const w = new Witness();
  w.note(0, -0.25, Float64Array.of(0.25), 'test');
  const saved = process.env.TSVERIFY_STRICT_WITNESS;
  delete process.env.TSVERIFY_STRICT_WITNESS;
  try {
    const out = await enforceWitnessInvariant({ verdict: 'unsat' }, p, () => async () => null, w, log);
    assert.equal(out.verdict, 'unknown');
  } finally {
    if (saved !== undefined) process.env.TSVERIFY_STRICT_WITNESS = saved;
  }
});

test('the invariant is fatal in strict mode, and silent without a violating point', async () => {
  const { problem: p, check } = problem();
  const w = new Witness();
  w.note(0, 0.1, Float64Array.of(0.6), 'test');
  assert.equal((await enforceWitnessInvariant({ verdict: 'unsat' }, p, check, w, log)).verdict, 'unsat');
  w.note(0, 0, Float64Array.of(0.5), 'test');
  const saved = process.env.TSVERIFY_STRICT_WITNESS;
  process.env.TSVERIFY_STRICT_WITNESS = '1';
  try {
    await assert.rejects(enforceWitnessInvariant({ verdict: 'unsat' }, p, check, w, log), InconsistencyError);
  } finally {
    if (saved === undefined) delete process.env.TSVERIFY_STRICT_WITNESS;
    else process.env.TSVERIFY_STRICT_WITNESS = saved;
  }
});

test('float32 points: inside the box where possible, else the nearest float32 within one ulp, never beyond the tolerance', () => {
  const v = -0.42244523149053587;
  assert.notEqual(Math.fround(v), v);
  // Normal interval: rounded inside.
  const inside = toFloat32Point([0.3], [0.1], [0.5], false)!;
  assert.equal(inside.outside, 0);
  assert.ok(inside.x[0] >= 0.1 && inside.x[0] <= 0.5 && Math.fround(inside.x[0]) === inside.x[0]);
  // Degenerate: nearest float32, one ulp at most.
  const p = toFloat32Point([v], [v], [v], false)!;
  assert.equal(p.outside, 1);
  assert.equal(p.x[0], Math.fround(v));
  const ulp = Math.abs(Math.fround(v) - v) * 2 + 1e-8 * Math.abs(v);
  assert.ok(Math.abs(p.x[0] - v) < ulp);
  assert.equal(toFloat32Point([v], [v], [v], true), null, 'strict refuses');
  // Sub-ulp interval holding no float32: the closer side.
  const f = Math.fround(1.1);
  const lo = f + 1e-9;
  const hi = f + 2e-9;
  assert.equal(toFloat32Point([lo], [lo], [hi], false)!.x[0], f);
  // A magnitude whose float32 ulp exceeds the tolerance gives no point.
  const big = 1e12 + 0.5;
  assert.ok(Math.abs(Math.fround(big) - big) > BOX_TOLERANCE || Math.fround(big) === big);
  if (Math.fround(big) !== big) assert.equal(toFloat32Point([big], [big], [big], false), null);
});
