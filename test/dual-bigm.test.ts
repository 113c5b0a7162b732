import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayeredNet } from '../src/network/layered.js';
import type { DomainBatch } from '../src/bounds/types.js';
import { crown, crownPass } from '../src/bounds/crown.js';
import { planetLp, planetLpIntermediate } from '../src/bounds/lp.js';
import { exactMinimum } from '../src/bounds/mip.js';
import { dualSetup, type DualSetup } from '../src/bounds/dual/setup.js';
import { bigM, bigMSolve, BIGM_DEFAULTS } from '../src/bounds/dual/bigm.js';
import { activeSet, activeSetSolve } from '../src/bounds/dual/activeset.js';
import { csrOf, oracleCut } from '../src/bounds/dual/masks.js';
import { batchOf, makeRng, randomCase, randomSplits, sampleStats } from './helpers/random-net.js';
import { thesisNet } from './helpers/tiny-nets.js';

const close = (a: number, b: number, tol: number, msg?: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} expected ${b}, got ${a}`);
const slack = (v: number) => 1e-9 * (1 + Math.abs(v));

/** Per dual row, every iterate's bound (as passed to onIterate). */
function recorder(): { trace: Float64Array[]; onIterate: (i: number, b: Float64Array) => void } {
  const trace: Float64Array[] = [];
  return { trace, onIterate: (_i, b) => trace.push(Float64Array.from(b)) };
}

test('thesis A.6.1 with LP-tight bounds: Big-M -> Planet LP -1.2273, Active Set beyond it towards -1.0658, never above -1', async () => {
  const { net, lower, upper } = thesisNet();
  const ib = await planetLpIntermediate(net, lower, upper);
  const batch: DomainBatch = { size: 1, lower, upper, preLower: ib.preLower, preUpper: ib.preUpper };
  const planet = -27 / 22;

  const bm = recorder();
  const rb = await bigM({ intermediate: 'given', clampWithCrown: false, iterations: 400, onIterate: bm.onIterate }).bound(net, batch);
  close(rb.rowLower[0], planet, 1e-3, 'Big-M');
  assert.equal(bm.trace.length, 401);
  for (const [i, b] of bm.trace.entries()) assert.ok(b[0] <= planet + slack(planet), `Big-M iterate ${i}: ${b[0]} above the LP`);
  // Iterate 0 is CROWN's bound with the same intermediate bounds (CROWN-equivalent multipliers).
  const cr = await crownPass(net, batch, { clampWithIbp: false });
  close(bm.trace[0][0], cr.outLinear.lb[0], 1e-12, 'iterate 0 = CROWN');
  assert.ok(bm.trace[0][0] < -7, 'CROWN with adaptive slopes is loose here');

  const as = recorder();
  const ra = await activeSet({
    intermediate: 'given',
    clampWithCrown: false,
    bigmIterations: 300,
    iterations: 400,
    onIterate: as.onIterate,
  }).bound(net, batch);
  assert.equal(as.trace.length, 701);
  for (const [i, b] of as.trace.entries()) assert.ok(b[0] <= -1 + slack(1), `Active Set iterate ${i}: ${b[0]} above the true minimum -1`);
  // Where in (-1.2273, -1.0658] it ends depends on ties in the mask oracle: a 1e-14 change of the LP-tight
  // bounds moved it from above -1.1 to -1.134. Clearly beyond the Planet LP is what the relaxation promises.
  assert.ok(ra.rowLower[0] > planet + 0.05, `Active Set ${ra.rowLower[0]} not clearly beyond Big-M ${planet}`);
  assert.ok(ra.rowLower[0] <= -1.0658 + 1e-4, `Active Set ${ra.rowLower[0]} above the Anderson LP optimum -1.0658`);
  // The Big-M warm-up iterates are Big-M's, so only the masks can take it above the Planet LP.
  for (let i = 0; i <= 300; i++) assert.ok(as.trace[i][0] <= planet + slack(planet));
});

const caseOf = (seed: number) => randomCase(seed, { widthSpread: 8, outputSpread: 2, identityEvery: 3, minBoxWidth: 0.5 });

test('anytime validity on random nets: every Big-M iterate <= Planet LP, every Active Set iterate <= MIP and samples', async () => {
  let checkedRows = 0;
  let identityNets = 0;
  let splitDomains = 0;
  let asAboveLp = 0;
  let maxGap = 0;
  let gapSum = 0;
  for (let seed = 1; seed <= 10; seed++) {
    const { net, boxes } = caseOf(seed);
    const rng = makeRng(100 + seed);
    const { lower, upper } = boxes[seed % 2];
    const splits = seed % 3 === 1 ? await randomSplits(net, lower, upper, 2, rng) : undefined;
    // Odd seeds: LP-tight intermediate bounds given; even seeds: CROWN's.
    let batch: DomainBatch = { size: 1, lower, upper, splits };
    if (seed % 2 === 1) {
      const ib = await planetLpIntermediate(net, lower, upper);
      batch = { ...batch, preLower: ib.preLower, preUpper: ib.preUpper };
    }
    const source = seed % 2 === 1 ? 'given' : 'crown';
    const setup: DualSetup = await dualSetup(net, batch, source);
    if (setup.R === 0) {
      // Proven empty by the bounds: then the MIP must agree that it is.
      const mip = await exactMinimum(net, lower, upper, 'all', { preLower: setup.preLower, preUpper: setup.preUpper });
      assert.equal(mip.status, 'infeasible', `seed ${seed}`);
      const r = await bigM({ intermediate: source }).bound(net, batch);
      assert.ok(r.rowLower.every((v) => v === Infinity));
      continue;
    }
    if (net.layers.some((l) => l.identity?.some((v) => v))) identityNets++;
    if (splits) splitDomains++;
    const lp = await planetLp(net, lower, upper, setup.preLower, setup.preUpper);
    const st = sampleStats(net, lower, upper, 4000, rng, splits);
    const bm = recorder();
    const resB = await bigMSolve(net, batch, setup, { onIterate: bm.onIterate });
    const as = recorder();
    const resA = await activeSetSolve(net, batch, setup, { bigmIterations: 150, iterations: 150, omega: 50, onIterate: as.onIterate });
    assert.equal(bm.trace.length, BIGM_DEFAULTS.iterations + 1);
    if (!splits) {
      // Iterate 0 is CROWN's linear bound with the same intermediate bounds (with splits, CROWN
      // would recompute tighter intermediate bounds than the unsplit LP-tight ones given here).
      const cr = await crownPass(net, { ...batch, preLower: setup.preLower, preUpper: setup.preUpper }, { clampWithIbp: false });
      for (let r = 0; r < setup.R; r++) {
        close(bm.trace[0][r], cr.outLinear.lb[r], 1e-9 * (1 + Math.abs(cr.outLinear.lb[r])), `seed ${seed}: iterate 0 = CROWN`);
      }
    }
    for (let r = 0; r < setup.R; r++) {
      const o = setup.rowOutput[r];
      const mip = await exactMinimum(net, lower, upper, [o], { preLower: setup.preLower, preUpper: setup.preUpper });
      if (mip.status === 'infeasible') continue;
      assert.equal(mip.status, 'optimal');
      assert.equal(lp.status, 'optimal');
      const L = lp.rowLower[o];
      assert.ok(L <= mip.value + 1e-7, `seed ${seed} row ${o}: LP above MIP`);
      for (const [i, b] of bm.trace.entries()) {
        assert.ok(b[r] <= L + slack(L), `seed ${seed} row ${o}: Big-M iterate ${i} = ${b[r]} above the Planet LP ${L}`);
      }
      for (const [i, b] of as.trace.entries()) {
        assert.ok(b[r] <= mip.value + slack(mip.value), `seed ${seed} row ${o}: Active Set iterate ${i} = ${b[r]} above the MIP ${mip.value}`);
        if (st.kept > 0) assert.ok(b[r] <= st.min[o] + slack(st.min[o]), `seed ${seed} row ${o}: Active Set iterate ${i} above a sample`);
      }
      const gap = L - resB.rowBest[r];
      maxGap = Math.max(maxGap, gap / (1 + Math.abs(L)));
      assert.ok(gap <= 0.05 * (1 + Math.abs(L)), `seed ${seed} row ${o}: Big-M ${resB.rowBest[r]} far below the LP ${L}`);
      gapSum += gap / (1 + Math.abs(L));
      assert.ok(resA.rowBest[r] >= resB.rowBest[r] - 0.02 * (1 + Math.abs(L)), `seed ${seed} row ${o}: Active Set well below Big-M`);
      if (resA.rowBest[r] > L + 1e-6) asAboveLp++;
      checkedRows++;
    }
  }
  assert.ok(checkedRows >= 15, `only ${checkedRows} rows checked`);
  assert.ok(identityNets >= 2, 'identity neurons exercised');
  assert.ok(splitDomains >= 2, 'split domains exercised');
  assert.ok(asAboveLp >= 3, `Active Set beat the Planet LP on only ${asAboveLp} rows`);
  assert.ok(maxGap >= 0, String(maxGap));
  assert.ok(gapSum / checkedRows < 0.01, `mean relative gap of Big-M to the LP ${gapSum / checkedRows}`);
});

test('batching: several domains together give the bounds of each domain alone; infeasible domains +Infinity', async () => {
  const { net, boxes } = caseOf(6);
  const rng = makeRng(7);
  const H = net.layers.length - 1;
  const perDomainSplits: Int8Array[][] = [];
  for (const b of boxes) perDomainSplits.push(await randomSplits(net, b.lower, b.upper, 1, rng));
  // Domain 3: an impossible split pair on one neuron's interval (lower bound forced above upper).
  const splits = net.layers.slice(0, H).map((l, k) => {
    const s = new Int8Array(boxes.length * l.outDim);
    perDomainSplits.forEach((d, b) => s.set(d[k], b * l.outDim));
    return s;
  });
  const n1 = net.layers[0].outDim;
  const preLower = net.layers.slice(0, H).map((l) => new Float64Array(boxes.length * l.outDim).fill(-Infinity));
  const preUpper = net.layers.slice(0, H).map((l) => new Float64Array(boxes.length * l.outDim).fill(Infinity));
  preLower[0][3 * n1] = 5;
  preUpper[0][3 * n1] = 4;
  const batch = batchOf(boxes, { splits, preLower, preUpper });
  const single = (b: number): DomainBatch => ({
    size: 1,
    lower: boxes[b].lower,
    upper: boxes[b].upper,
    splits: splits.map((s, k) => s.slice(b * net.layers[k].outDim, (b + 1) * net.layers[k].outDim)),
    preLower: preLower.map((s, k) => s.slice(b * net.layers[k].outDim, (b + 1) * net.layers[k].outDim)),
    preUpper: preUpper.map((s, k) => s.slice(b * net.layers[k].outDim, (b + 1) * net.layers[k].outDim)),
  });
  const m = net.outputDim;
  for (const bounder of [bigM({ iterations: 60 }), activeSet({ bigmIterations: 40, iterations: 60, omega: 20 })]) {
    const all = await bounder.bound(net, batch);
    assert.equal(all.rowLower.length, boxes.length * m);
    for (let r = 0; r < m; r++) assert.equal(all.rowLower[3 * m + r], Infinity, `${bounder.name}: infeasible domain`);
    for (let b = 0; b < 3; b++) {
      const one = await bounder.bound(net, single(b));
      for (let r = 0; r < m; r++) {
        const v = all.rowLower[b * m + r];
        assert.ok(Number.isFinite(v), `${bounder.name} domain ${b} row ${r}: ${v}`);
        close(v, one.rowLower[r], 1e-9 * (1 + Math.abs(v)), `${bounder.name} domain ${b} row ${r}`);
      }
    }
  }
});

test('clampWithCrown, deadline and interval initialisation', async () => {
  const { net, boxes } = caseOf(2);
  const batch = batchOf(boxes.slice(0, 2));
  const C = await crown().bound(net, batch);
  const m = net.outputDim;
  // An expired deadline stops after the first iterate: CROWN-equivalent, reported as max(CROWN, it).
  const its: number[] = [];
  const r0 = await bigM({ onIterate: (i) => its.push(i) }).bound(net, batch, { deadline: performance.now() - 1 });
  assert.deepEqual(its, [0]);
  for (let i = 0; i < 2 * m; i++) close(r0.rowLower[i], C.rowLower[i], 1e-9 * (1 + Math.abs(C.rowLower[i])));
  // With clamping the result never drops below CROWN; more iterations tighten it.
  const r1 = await bigM().bound(net, batch);
  for (let i = 0; i < 2 * m; i++) assert.ok(r1.rowLower[i] >= C.rowLower[i] - 1e-12);
  assert.ok(r1.rowLower.some((v, i) => v > C.rowLower[i] + 1e-3), 'Big-M tightens CROWN somewhere');
  // Interval initialisation ([Th2] Alg. 5) starts at the interval bound with the same intermediate bounds.
  const first: Float64Array[] = [];
  const r2 = await bigM({ init: 'interval', clampWithCrown: false, stepScale: 'none', iterations: 300, onIterate: (i, b) => i === 0 && first.push(Float64Array.from(b)) }).bound(
    net,
    batch,
  );
  const setup = await dualSetup(net, batch, 'crown');
  const last = net.layers[net.layers.length - 1];
  for (let r = 0; r < setup.R; r++) {
    const b = setup.rowDomain[r];
    const o = setup.rowOutput[r];
    const n = last.inDim;
    let v = last.b[o];
    for (let j = 0; j < n; j++) {
      const w = last.W[o * n + j];
      v += w >= 0 ? w * setup.postLower[setup.H - 1][b * n + j] : w * setup.postUpper[setup.H - 1][b * n + j];
    }
    close(first[0][r], v, 1e-9 * (1 + Math.abs(v)), 'interval iterate 0');
    assert.ok(r2.rowLower[b * m + o] > v, 'interval-initialised Big-M improves on its start');
  }
});

test('masks live on the sparsity pattern of W: storage and products cost nnz, oracle skips trivial rows', () => {
  // A 3 x 4 layer with zeros, one dual row, one domain.
  const W = Float64Array.of(1, 0, -2, 0, 0, 3, 0, 0, 0.5, -1, 0, 2);
  const layer = { inDim: 4, outDim: 3, W, b: Float64Array.of(0.1, -0.2, 0.3) };
  const csr = csrOf(layer);
  assert.equal(csr.nnz, 6);
  assert.deepEqual([...csr.rowPtr], [0, 2, 3, 6]);
  const lPrev = Float64Array.of(0.2, 0.5, 0, 0.1);
  const uPrev = Float64Array.of(1, 2, 1, 3);
  const cut = oracleCut({
    csr,
    R: 1,
    n: 3,
    nIn: 4,
    rowDomain: Int32Array.of(0),
    xPrev: Float64Array.of(0.2, 0.5, 1, 0.1),
    z: Float64Array.of(0, 0, 0),
    lPrev,
    uPrev,
    lhat: Float64Array.of(-1, -1, -1),
    uhat: Float64Array.of(1, 1, 1),
  });
  assert.ok(cut);
  // z = 0: I[i,j] = 1 iff x_j sits at the corner minimising W[i,j] x_j.
  // Neuron 0: W row (1, -2) on inputs (0, 2), x = (l0, u2): all-1, skipped.
  // Neuron 1: a single nonzero: skipped. Neuron 2: (0.5, -1, 2) on (0, 1, 3), x = (l0, l1, l3): I = (1, 0, 1).
  assert.deepEqual([...cut.neuron], [2]);
  assert.deepEqual([...cut.bits], [1, 0, 1]);
  close(cut.rhoL[2], 0.5 * 0.2 + 2 * 0.1, 1e-15);
  close(cut.rhoU[2], -1 * 0.5, 1e-15);
  // The same point again adds nothing (duplicate mask rows are skipped).
  const again = oracleCut({
    csr,
    R: 1,
    n: 3,
    nIn: 4,
    rowDomain: Int32Array.of(0),
    xPrev: Float64Array.of(0.2, 0.5, 1, 0.1),
    z: Float64Array.of(0, 0, 0),
    lPrev,
    uPrev,
    lhat: Float64Array.of(-1, -1, -1),
    uhat: Float64Array.of(1, 1, 1),
    existing: [cut],
  });
  assert.equal(again, undefined);
});

test('a net without hidden layers: the bound is the exact minimum of the affine map over the box', async () => {
  const W = Float64Array.of(1, -2, 0.5, 3, 0, -1);
  const net: LayeredNet = { inputShape: [1, 3], inputDim: 3, outputDim: 2, layers: [{ inDim: 3, outDim: 2, W, b: Float64Array.of(0.25, -1) }] };
  const lower = Float64Array.of(-1, 0, 2);
  const upper = Float64Array.of(1, 1, 3);
  for (const bounder of [bigM({ iterations: 5, clampWithCrown: false }), activeSet({ bigmIterations: 3, iterations: 3, clampWithCrown: false })]) {
    const res = await bounder.bound(net, { size: 1, lower, upper });
    close(res.rowLower[0], 0.25 - 1 - 2 + 1, 1e-12, bounder.name);
    close(res.rowLower[1], -1 - 3 - 3, 1e-12, bounder.name);
  }
});
