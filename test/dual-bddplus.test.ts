import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayeredNet } from '../src/network/layered.js';
import type { DomainBatch } from '../src/bounds/types.js';
import { crown, crownPass } from '../src/bounds/crown.js';
import { intervalBounds } from '../src/bounds/highs-model.js';
import { planetLp, planetLpIntermediate } from '../src/bounds/lp.js';
import { dualSetup } from '../src/bounds/dual/setup.js';
import { bddPlus, bddPlusSolve, BDDPLUS_DEFAULTS } from '../src/bounds/dual/bddplus.js';
import { batchOf, makeRng, randomCase, randomSplits, sampleStats } from './helpers/random-net.js';
import { ldNet, thesisNet } from './helpers/tiny-nets.js';

const close = (a: number, b: number, tol: number, msg?: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} expected ${b}, got ${a}`);
const slack = (v: number) => 1e-9 * (1 + Math.abs(v));

/** Every iterate's bound per dual row, as passed to onIterate. */
function recorder(): { trace: Float64Array[]; onIterate: (i: number, b: Float64Array) => void } {
  const trace: Float64Array[] = [];
  return {
    trace,
    onIterate: (i, b) => {
      assert.equal(i, trace.length, 'iterates numbered 0, 1, 2, ...');
      trace.push(Float64Array.from(b));
    },
  };
}

test('thesis A.6.1 with LP-tight bounds: BDD+ converges to the Planet LP -1.2273, every iterate below it', async () => {
  const { net, lower, upper } = thesisNet();
  const ib = await planetLpIntermediate(net, lower, upper);
  const batch: DomainBatch = { size: 1, lower, upper, preLower: ib.preLower, preUpper: ib.preUpper };
  const planet = -27 / 22;
  for (const init of ['crown', 'zero'] as const) {
    const rec = recorder();
    const res = await bddPlus({ intermediate: 'given', clampWithCrown: false, init, iterations: 500, onIterate: rec.onIterate }).bound(net, batch);
    assert.equal(rec.trace.length, 501);
    for (const [i, b] of rec.trace.entries()) assert.ok(b[0] <= planet + slack(planet), `${init} iterate ${i}: ${b[0]} above the LP`);
    close(res.rowLower[0], planet, 1e-3, `BDD+ (${init} init)`);
    if (init === 'crown') {
      // Iterate 0 from CROWN's multipliers is at least CROWN's bound (here -7.59: the adaptive slopes are poor).
      const cr = await crownPass(net, batch, { clampWithIbp: false });
      assert.ok(rec.trace[0][0] >= cr.outLinear.lb[0] - slack(cr.outLinear.lb[0]), 'iterate 0 >= CROWN');
      assert.ok(rec.trace[0][0] < -7);
    } else {
      // Zero multipliers: iterate 0 is the interval bound of the last layer, 2 * 0 - 1 * 2.25.
      close(rec.trace[0][0], -2.25, 1e-12, 'iterate 0 with rho = 0');
    }
  }
});

test('[LD] x in [-2,2]^2, y = -ReLU(x1+x2) - ReLU(x1-x2), interval bounds: BDD+ reaches the Planet value -6 from -8', async () => {
  const { net, lower, upper } = ldNet();
  const ib = intervalBounds(net, lower, upper);
  const batch: DomainBatch = { size: 1, lower, upper, preLower: ib.preLower, preUpper: ib.preUpper };
  const rec = recorder();
  const res = await bddPlus({ intermediate: 'given', clampWithCrown: false, init: 'zero', onIterate: rec.onIterate }).bound(net, batch);
  close(rec.trace[0][0], -8, 1e-12, 'interval bound at rho = 0');
  for (const [i, b] of rec.trace.entries()) assert.ok(b[0] <= -6 + slack(6), `iterate ${i}: ${b[0]} above -6`);
  close(res.rowLower[0], -6, 1e-3, 'BDD+');
  // With CROWN's multipliers the first iterate is already optimal here.
  const r2 = await bddPlus({ intermediate: 'given', clampWithCrown: false, iterations: 20 }).bound(net, batch);
  close(r2.rowLower[0], -6, 1e-9);
});

const caseOf = (seed: number) => randomCase(seed, { widthSpread: 8, outputSpread: 2, identityEvery: 3, minBoxWidth: 0.5 });

test('anytime validity on random nets: every BDD+ iterate <= the Planet LP with the same bounds, close to it at the end', async () => {
  let rows = 0;
  let identityNets = 0;
  let splitDomains = 0;
  let gapSum = 0;
  let maxGap = 0;
  let improved = 0;
  for (let seed = 1; seed <= 10; seed++) {
    const { net, boxes } = caseOf(seed);
    const rng = makeRng(300 + seed);
    const { lower, upper } = boxes[seed % 2];
    const splits = seed % 3 === 1 ? await randomSplits(net, lower, upper, 2, rng) : undefined;
    const batch: DomainBatch = { size: 1, lower, upper, splits };
    const setup = await dualSetup(net, batch, 'crown');
    const rec = recorder();
    const res = await bddPlus({ clampWithCrown: false, onIterate: rec.onIterate }).bound(net, batch);
    const lp = await planetLp(net, lower, upper, res.preLower, res.preUpper);
    if (setup.R === 0) {
      assert.equal(lp.status, 'infeasible', `seed ${seed}: bounds prove the domain empty, so must the LP`);
      assert.ok(res.rowLower.every((v) => v === Infinity));
      assert.equal(rec.trace.length, 0);
      continue;
    }
    assert.equal(lp.status, 'optimal', `seed ${seed}`);
    assert.equal(rec.trace.length, BDDPLUS_DEFAULTS.iterations + 1);
    if (net.layers.some((l) => l.identity?.some((v) => v))) identityNets++;
    if (splits) splitDomains++;
    const st = sampleStats(net, lower, upper, 2000, rng, splits);
    const cr = await crownPass(net, batch, { clampWithIbp: false });
    for (let o = 0; o < net.outputDim; o++) {
      const L = lp.rowLower[o];
      for (const [i, b] of rec.trace.entries()) {
        assert.ok(b[o] <= L + slack(L), `seed ${seed} row ${o}: iterate ${i} = ${b[o]} above the Planet LP ${L}`);
      }
      if (st.kept > 0) assert.ok(res.rowLower[o] <= st.min[o], `seed ${seed} row ${o}: above a sampled value`);
      const c = cr.outLinear.lb[o];
      assert.ok(rec.trace[0][o] >= c - slack(c), `seed ${seed} row ${o}: iterate 0 ${rec.trace[0][o]} below CROWN's linear bound ${c}`);
      const gap = (L - res.rowLower[o]) / (1 + Math.abs(L));
      assert.ok(gap <= 5e-3, `seed ${seed} row ${o}: BDD+ ${res.rowLower[o]} far below the LP ${L}`);
      if (res.rowLower[o] > rec.trace[0][o] + 1e-6) improved++;
      gapSum += gap;
      maxGap = Math.max(maxGap, gap);
      rows++;
    }
  }
  console.log(`BDD+ vs Planet LP on ${rows} rows: mean relative gap ${gapSum / rows}, max ${maxGap}, improved ${improved}`);
  assert.ok(rows >= 15, `only ${rows} rows checked`);
  assert.ok(identityNets >= 2, 'identity neurons exercised');
  assert.ok(splitDomains >= 2, 'split domains exercised');
  assert.ok(improved >= rows / 3, `BDD+ improved on its first iterate on only ${improved} of ${rows} rows`);
  assert.ok(gapSum / rows < 1e-3, `mean relative gap to the LP ${gapSum / rows} (max ${maxGap})`);
});

test('batching: several domains together give the bounds of each domain alone; infeasible domains +Infinity', async () => {
  const { net, boxes } = caseOf(6);
  const rng = makeRng(17);
  const H = net.layers.length - 1;
  const perDomain: Int8Array[][] = [];
  for (const b of boxes) perDomain.push(await randomSplits(net, b.lower, b.upper, 1, rng));
  const splits = net.layers.slice(0, H).map((l, k) => {
    const s = new Int8Array(boxes.length * l.outDim);
    perDomain.forEach((d, b) => s.set(d[k], b * l.outDim));
    return s;
  });
  // Domain 3: inherited bounds with lower above upper on one neuron (infeasible).
  const n1 = net.layers[0].outDim;
  const preLower = net.layers.slice(0, H).map((l) => new Float64Array(boxes.length * l.outDim).fill(-Infinity));
  const preUpper = net.layers.slice(0, H).map((l) => new Float64Array(boxes.length * l.outDim).fill(Infinity));
  preLower[0][3 * n1] = 5;
  preUpper[0][3 * n1] = 4;
  const batch = batchOf(boxes, { splits, preLower, preUpper });
  const slice = (a: readonly (Int8Array | Float64Array)[], b: number) => a.map((s, k) => s.slice(b * net.layers[k].outDim, (b + 1) * net.layers[k].outDim));
  const single = (b: number): DomainBatch => ({
    size: 1,
    lower: boxes[b].lower,
    upper: boxes[b].upper,
    splits: slice(splits, b) as Int8Array[],
    preLower: slice(preLower, b) as Float64Array[],
    preUpper: slice(preUpper, b) as Float64Array[],
  });
  const m = net.outputDim;
  const bounder = bddPlus({ iterations: 40, clampWithCrown: false });
  const all = await bounder.bound(net, batch);
  assert.equal(all.rowLower.length, boxes.length * m);
  for (let r = 0; r < m; r++) assert.equal(all.rowLower[3 * m + r], Infinity, 'infeasible domain');
  const C = await crown().bound(net, batch);
  let tighter = 0;
  for (let b = 0; b < 3; b++) {
    const one = await bounder.bound(net, single(b));
    for (let r = 0; r < m; r++) {
      const v = all.rowLower[b * m + r];
      assert.ok(Number.isFinite(v), `domain ${b} row ${r}: ${v}`);
      close(v, one.rowLower[r], 1e-9 * (1 + Math.abs(v)), `domain ${b} row ${r}`);
      if (v > C.rowLower[b * m + r] + 1e-4) tighter++;
    }
  }
  assert.ok(tighter >= 1, 'BDD+ tightens CROWN somewhere in the batch');
});

test('deadline, clampWithCrown and a net without hidden layers', async () => {
  const { net, boxes } = caseOf(2);
  const batch = batchOf(boxes.slice(0, 2));
  const C = await crown().bound(net, batch);
  const m = net.outputDim;
  const its: number[] = [];
  const r0 = await bddPlus({ onIterate: (i) => its.push(i) }).bound(net, batch, { deadline: performance.now() - 1 });
  assert.deepEqual(its, [0], 'an expired deadline stops after iterate 0');
  const r1 = await bddPlus({ iterations: 50 }).bound(net, batch);
  for (let i = 0; i < 2 * m; i++) {
    assert.ok(r0.rowLower[i] >= C.rowLower[i] - 1e-12, 'clamped with CROWN');
    assert.ok(r1.rowLower[i] >= r0.rowLower[i] - 1e-12);
  }
  assert.ok(r1.rowLower.some((v, i) => v > C.rowLower[i] + 1e-3), 'BDD+ tightens CROWN somewhere');
  // The solver API: iterate count and timing flags.
  const setup = await dualSetup(net, batch, 'crown');
  const sol = await bddPlusSolve(net, batch, setup, { iterations: 7 });
  assert.equal(sol.evaluations, 8);
  assert.equal(sol.timedOut, false);

  const W = Float64Array.of(1, -2, 0.5, 3, 0, -1);
  const flat: LayeredNet = { inputShape: [1, 3], inputDim: 3, outputDim: 2, layers: [{ inDim: 3, outDim: 2, W, b: Float64Array.of(0.25, -1) }] };
  const res = await bddPlus({ iterations: 5, clampWithCrown: false }).bound(flat, { size: 1, lower: Float64Array.of(-1, 0, 2), upper: Float64Array.of(1, 1, 3) });
  close(res.rowLower[0], 0.25 - 1 - 2 + 1, 1e-12);
  close(res.rowLower[1], -1 - 3 - 3, 1e-12);
});
