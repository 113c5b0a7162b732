/**
 * VNN-LIB regions cut by a constraint over several inputs (issue 16): `verify`
 * answers on the simplex, not on its box. Ground truth: the exact MIP over
 * the set; every sat point must satisfy the cut exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { exactMinimum } from '../src/bounds/mip.js';
import { createModel, encodeNet, getHighs, intervalBounds, lastPostCols } from '../src/bounds/highs-model.js';
import type { LayeredNet } from '../src/network/layered.js';
import { mulberry32 } from '../src/attack/rng.js';
import { exactMinimumOverSet } from '../src/bounds/simplex/mip.js';
import { DEFAULT_ENGINE_OPTIONS } from '../src/engine/options.js';
import { runInstance } from '../src/engine/run-instance.js';
import { lowerToLayered } from '../src/network/lower.js';
import { loadOnnx } from '../src/onnx/load.js';
import { exactLinearLeq } from '../src/util/dyadic.js';
import { readVnnlib } from '../src/vnnlib/parse.js';
import { regionInputSet } from '../src/vnnlib/input-set.js';
import { randomFcOnnx } from './helpers/random-onnx.js';

const root = resolve(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'verify-polytope-'));
const silent = pino({ level: 'silent' });
/** Networks per randomised test (POLYTOPE_CASES=40 for a longer run; the CI runs 8). */
const CASES = Number(process.env.POLYTOPE_CASES ?? 8);

function vnnlib(n: number, cut: string, threshold: number): string {
  const decl = [...Array.from({ length: n }, (_, i) => `(declare-const X_${i} Real)`), '(declare-const Y_0 Real)'];
  const box = Array.from({ length: n }, (_, i) => `(assert (>= X_${i} -1))\n(assert (<= X_${i} 1))`);
  return `${decl.join('\n')}\n${box.join('\n')}\n${cut}\n(assert (<= Y_0 ${threshold}))\n`;
}

test('simplex regions: answers match the exact minimum over the set, never the box', async () => {
  let decided = 0;
  let boxWouldDiffer = 0;
  for (let seed = 1; seed <= CASES; seed++) {
    const n = 3;
    const bytes = randomFcOnnx({ seed: 300 + seed, sizes: [n, 8, 8, 1] });
    const onnx = join(tmp, `net${seed}.onnx`);
    writeFileSync(onnx, bytes);
    // x0 + x1 - x2 <= -2.5: a small simplex cut from the box corner (-1, -1, 1).
    const cut = '(assert (<= (+ X_0 X_1 (* -1 X_2)) -2.5))';
    const probe = join(tmp, `probe${seed}.vnnlib`);
    writeFileSync(probe, vnnlib(n, cut, 0));
    const set = regionInputSet(readVnnlib(probe, { linearInputs: true }).regions[0]);
    assert.equal(set.kind, 'simplex');
    if (set.kind !== 'simplex') continue;
    const net = lowerToLayered(loadOnnx(bytes, onnx));
    const truth = await exactMinimumOverSet(net, set, 0, 20);
    assert.equal(truth.status, 'optimal');
    for (const [gap, expected] of [
      [-0.05, 'unsat'],
      [0.05, 'sat'],
    ] as const) {
      const threshold = truth.value + gap;
      const path = join(tmp, `p${seed}-${expected}.vnnlib`);
      writeFileSync(path, vnnlib(n, cut, threshold));
      const out = await runInstance(onnx, path, { ...DEFAULT_ENGINE_OPTIONS, threads: 1, deadline: performance.now() + 10_000 }, silent);
      assert.ok(out.verdict === expected || out.verdict === 'timeout' || out.verdict === 'unknown', `seed ${seed}: ${out.verdict}, truth ${expected}`);
      if (out.verdict === expected) decided++;
      if (out.verdict === 'sat') {
        const x = out.counterexample.x;
        assert.ok(exactLinearLeq(Float64Array.of(1, 1, -1), x, -2.5), `seed ${seed}: the point ${Array.from(x)} is outside the cut`);
        assert.ok(out.counterexample.y[0] <= threshold);
      }
    }
    // The cut matters: over the whole box the minimum is lower on most of these networks.
    const boxMin = await exactMinimum(net, Float64Array.of(-1, -1, -1), Float64Array.of(1, 1, 1), [0], { timeLimit: 20 });
    if (boxMin.value < truth.value - 0.05) boxWouldDiffer++;
  }
  assert.ok(decided >= 1.5 * CASES, `${decided} of ${2 * CASES} decided`);
  if (process.env.POLYTOPE_CASES) console.log(`simplex regions: ${decided} of ${2 * CASES} decided, 0 wrong`);
  assert.ok(boxWouldDiffer >= CASES / 4, `the cut changes the answer on ${boxWouldDiffer} of ${CASES} networks`);
});

/** The exact minimum of output 0 over box ∩ {C x <= d} (Big-M MIP with the cuts as rows), or undefined if HiGHS does not finish. */
async function exactMinimumOverPolytope(net: LayeredNet, lower: Float64Array, upper: Float64Array, cuts: { coef: number[]; rhs: number }[]): Promise<number | undefined> {
  const { preLower, preUpper } = intervalBounds(net, lower, upper);
  const enc = encodeNet(net, lower, upper, preLower, preUpper, 'bigm');
  const B = enc.builder;
  for (const c of cuts) B.addRow(-Infinity, c.rhs, Array.from(enc.inputCols), c.coef);
  const last = net.layers[net.layers.length - 1];
  const prev = lastPostCols(enc);
  for (let i = 0; i < last.inDim; i++) if (prev[i] >= 0) B.colCost[prev[i]] += last.W[i];
  B.offset = last.b[0];
  const model = createModel(await getHighs(), B, { mip_rel_gap: 1e-9, mip_abs_gap: 1e-9, time_limit: 20 });
  try {
    return model.run().modelStatus === 7 ? model.getObjectiveValue() : undefined;
  } finally {
    model.dispose();
  }
}

test('general polytope regions (two random cuts): answers match the exact MIP over the polytope', async () => {
  let decided = 0;
  let cases = 0;
  for (let seed = 1; seed <= CASES; seed++) {
    const rng = mulberry32(700 + seed);
    const n = 3;
    const bytes = randomFcOnnx({ seed: 500 + seed, sizes: [n, 8, 8, 1] });
    const onnx = join(tmp, `poly${seed}.onnx`);
    writeFileSync(onnx, bytes);
    const net = lowerToLayered(loadOnnx(bytes, onnx));
    const lower = Float64Array.of(-1, -1, -1);
    const upper = Float64Array.of(1, 1, 1);
    // Two random half-spaces through points near the centre: the region is never empty (the centre side is kept).
    const cuts = [0, 1].map(() => {
      const coef = Array.from({ length: n }, () => Math.round((rng() * 2 - 1) * 8) / 4);
      return { coef, rhs: Math.round(rng() * 4) / 4 };
    });
    const truth = await exactMinimumOverPolytope(net, lower, upper, cuts);
    if (truth === undefined) continue;
    const cutText = cuts.map((c) => `(assert (<= (+ ${c.coef.map((a, i) => `(* ${a} X_${i})`).join(' ')}) ${c.rhs}))`).join('\n');
    for (const [gap, expected] of [
      [-0.05, 'unsat'],
      [0.05, 'sat'],
    ] as const) {
      cases++;
      const threshold = truth + gap;
      const path = join(tmp, `poly${seed}-${expected}.vnnlib`);
      writeFileSync(path, vnnlib(n, cutText, threshold));
      // Odd seeds search by ReLU splitting, even ones by input splitting (the automatic choice for 3 inputs).
      const branching = seed % 2 === 1 ? 'relu' : 'auto';
      const out = await runInstance(onnx, path, { ...DEFAULT_ENGINE_OPTIONS, threads: 1, branching, deadline: performance.now() + 10_000 }, silent);
      assert.ok(out.verdict === expected || out.verdict === 'timeout' || out.verdict === 'unknown', `seed ${seed} (${branching}): ${out.verdict}, truth ${expected} (min ${truth})`);
      if (out.verdict === expected) decided++;
      if (out.verdict === 'sat') {
        for (const c of cuts) assert.ok(exactLinearLeq(Float64Array.from(c.coef), out.counterexample.x, c.rhs), `seed ${seed}: point outside a cut`);
        assert.ok(out.counterexample.y[0] <= threshold);
      }
    }
  }
  assert.ok(cases >= 1.5 * CASES && decided >= cases * 0.75, `${decided} of ${cases} decided`);
  if (process.env.POLYTOPE_CASES) console.log(`polytope regions: ${decided} of ${cases} decided, 0 wrong`);
});

test('the CLI: unsat on the triangle where the box is sat; two cuts (a general polytope) answered both ways', () => {
  const verify = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'verify.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
  const net = join(root, 'networks', 'two_relu.onnx');
  const ok = verify('--onnx', net, '--vnnlib', join(root, 'specs', 'two_relu_simplex_unsat.vnnlib'), '--timeout', '20');
  assert.equal(ok.stdout.split('\n')[0], 'unsat', ok.stderr);
  // An l1 ball written as its 2^n half-spaces (the documented encoding): unsat on the ball, sat on its box.
  const l1 = verify('--onnx', net, '--vnnlib', join(root, 'specs', 'two_relu_l1_ball_unsat.vnnlib'), '--timeout', '20');
  assert.equal(l1.stdout.split('\n')[0], 'unsat', l1.stderr);
  // y = -relu(x0 + x1) - relu(x0 - x1) on [-2,2]^2 cut by x0 + x1 <= -1 and x0 - x1 <= 1: y >= -1 there (-4 on the box).
  const spec = (t: number) =>
    `(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(assert (>= X_0 -2))\n(assert (<= X_0 2))\n(assert (>= X_1 -2))\n(assert (<= X_1 2))\n(assert (<= (+ X_0 X_1) -1))\n(assert (<= (- X_0 X_1) 1))\n(assert (<= Y_0 ${t}))\n`;
  const unsat = join(tmp, 'two-cuts-unsat.vnnlib');
  writeFileSync(unsat, spec(-1.5));
  const u = verify('--onnx', net, '--vnnlib', unsat, '--timeout', '20');
  assert.equal(u.stdout.split('\n')[0], 'unsat', u.stderr);
  const sat = join(tmp, 'two-cuts-sat.vnnlib');
  writeFileSync(sat, spec(-0.9));
  const v = verify('--onnx', net, '--vnnlib', sat, '--timeout', '20');
  assert.equal(v.stdout.split('\n')[0], 'sat', v.stderr);
  const x = [...v.stdout.matchAll(/\(X_(\d) ([^)]+)\)/g)].map((m) => Number(m[2]));
  assert.ok(exactLinearLeq(Float64Array.of(1, 1), x, -1) && exactLinearLeq(Float64Array.of(1, -1), x, 1), `point ${x} outside the polytope`);
});
