import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayeredNet } from '../src/network/layered.js';
import { alphaBetaCrown } from '../src/bounds/beta.js';
import { alphaCrown } from '../src/bounds/alpha.js';
import { bounderByName, crown } from '../src/bounds/index.js';
import type { BoundResult, DomainBatch } from '../src/bounds/types.js';
import { forwardPre, makeRng, randomBox, randomNet, sampleBox, sampleStats, satisfiesSplits, type Rng, batchOf, domainSplits, randomCase as sharedRandomCase, type RandomCase } from './helpers/random-net.js';

const SLACK = 1e-9;
const SAMPLES = 5_000;

type Case = RandomCase;

const randomCase = (seed: number): Case => sharedRandomCase(seed, { widthSpread: 9, outputSpread: 3, identityEvery: 4, minBoxWidth: 0.5 });




/**
 * Random split patterns on neurons that CROWN finds ambiguous: `count` per
 * domain, random signs (possibly infeasible patterns too).
 */
async function randomSplits(net: LayeredNet, boxes: Case['boxes'], count: number, rng: Rng): Promise<Int8Array[]> {
  const H = net.layers.length - 1;
  const C = await crown().bound(net, batchOf(boxes));
  const splits = net.layers.slice(0, H).map((l) => new Int8Array(boxes.length * l.outDim));
  for (let b = 0; b < boxes.length; b++) {
    const amb: [number, number][] = [];
    for (let k = 0; k < H; k++) {
      const n = net.layers[k].outDim;
      for (let j = 0; j < n; j++) {
        if (net.layers[k].identity?.[j]) continue;
        if (C.preLower[k][b * n + j] < 0 && C.preUpper[k][b * n + j] > 0) amb.push([k, j]);
      }
    }
    for (let q = 0; q < count && amb.length > 0; q++) {
      const [k, j] = amb.splice(Math.floor(rng() * amb.length), 1)[0];
      splits[k][b * net.layers[k].outDim + j] = rng() < 0.5 ? 1 : -1;
    }
  }
  return splits;
}

/** Rows and linear bounds of `res` hold at sampled points of each domain that satisfy its splits. */
function checkSound(net: LayeredNet, batch: DomainBatch, res: BoundResult, label: string, rng: Rng): number {
  const m = net.outputDim;
  const n0 = net.inputDim;
  const H = net.layers.length - 1;
  let keptDomains = 0;
  for (let b = 0; b < batch.size; b++) {
    const lower = batch.lower.slice(b * n0, (b + 1) * n0);
    const upper = batch.upper.slice(b * n0, (b + 1) * n0);
    const sp = batch.splits ? domainSplits(net, batch.splits, b) : undefined;
    const st = sampleStats(net, lower, upper, SAMPLES, rng, sp);
    if (st.kept === 0) continue; // possibly empty: any bound is valid
    keptDomains++;
    for (let r = 0; r < m; r++) {
      const lb = res.rowLower[b * m + r];
      assert.ok(lb <= st.min[r] + SLACK, `${label}: domain ${b} row ${r}: bound ${lb} > sampled min ${st.min[r]} (kept ${st.kept})`);
    }
    if (!res.linear) continue;
    const { A, c } = res.linear;
    const x = new Float64Array(n0);
    for (let s = 0; s < 500; s++) {
      sampleBox(rng, lower, upper, x);
      const pre = forwardPre(net, x);
      if (!satisfiesSplits(pre, sp)) continue;
      for (let r = 0; r < m; r++) {
        let v = c[b * m + r];
        for (let j = 0; j < n0; j++) v += A[(b * m + r) * n0 + j] * x[j];
        assert.ok(v <= pre[H][r] + SLACK, `${label}: linear bound row ${r} domain ${b}: ${v} > ${pre[H][r]}`);
      }
    }
  }
  return keptDomains;
}

test('beta-CROWN on random split domains: sound, never below alpha, strictly tighter on some', async () => {
  let rows = 0;
  let tighter = 0;
  let kept = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const { net, boxes } = randomCase(seed);
    const rng = makeRng(7000 + seed);
    const splits = await randomSplits(net, boxes, 1 + (seed % 4), rng);
    for (const inherit of [false, true]) {
      const parent = inherit ? await crown().bound(net, batchOf(boxes)) : undefined;
      const batch = batchOf(boxes, parent ? { splits, preLower: parent.preLower, preUpper: parent.preUpper } : { splits });
      const A = await alphaCrown().bound(net, batch);
      const Bt = await alphaBetaCrown().bound(net, batch);
      assert.equal(Bt.rowLower.length, batch.size * net.outputDim);
      kept += checkSound(net, batch, Bt, `seed ${seed} inherit=${inherit}`, rng);
      for (let i = 0; i < Bt.rowLower.length; i++) {
        const a = A.rowLower[i];
        const b = Bt.rowLower[i];
        if (a === Infinity) {
          assert.equal(b, Infinity, `seed ${seed} row ${i}: alpha proves the domain empty, beta gives ${b}`);
          continue;
        }
        assert.ok(b >= a - SLACK, `seed ${seed} row ${i}: beta ${b} < alpha ${a}`);
        rows++;
        if (b > a + 1e-6) tighter++;
      }
      // Pre-activation bounds are CROWN's (beta only acts on the output rows).
      for (let k = 0; k < A.preLower.length; k++) {
        assert.deepEqual(Bt.preLower[k], A.preLower[k]);
        assert.deepEqual(Bt.preUpper[k], A.preUpper[k]);
      }
    }
  }
  assert.ok(kept > 20, `too few non-empty sampled domains (${kept})`);
  assert.ok(tighter >= 5, `beta tighter than alpha on only ${tighter} of ${rows} rows`);
});

test('beta-CROWN proves a split sub-domain that alpha cannot (improvement is material)', async () => {
  // Rows where beta's bound is positive while alpha's is not: the kind of gain that closes BaB domains.
  let gains = 0;
  let total = 0;
  for (let seed = 40; seed <= 47; seed++) {
    const { net, boxes } = randomCase(seed);
    const rng = makeRng(seed);
    const splits = await randomSplits(net, boxes, 3, rng);
    const batch = batchOf(boxes, { splits });
    const A = await alphaCrown().bound(net, batch);
    const Bt = await alphaBetaCrown().bound(net, batch);
    for (let i = 0; i < A.rowLower.length; i++) {
      if (!Number.isFinite(A.rowLower[i])) continue;
      total += Bt.rowLower[i] - A.rowLower[i];
      if (Bt.rowLower[i] - A.rowLower[i] > 1e-3) gains++;
    }
  }
  assert.ok(total > 0 && gains > 0, `no material gain (sum ${total}, rows ${gains})`);
});

test('beta-CROWN equals alpha-CROWN without splits (absent or all zero)', async () => {
  for (let seed = 20; seed <= 25; seed++) {
    const { net, boxes } = randomCase(seed);
    const H = net.layers.length - 1;
    const zero = net.layers.slice(0, H).map((l) => new Int8Array(boxes.length * l.outDim));
    for (const batch of [batchOf(boxes), batchOf(boxes, { splits: zero })]) {
      const A = await alphaCrown().bound(net, batch);
      const Bt = await bounderByName('beta').bound(net, batch);
      for (let i = 0; i < A.rowLower.length; i++) {
        assert.ok(Math.abs(A.rowLower[i] - Bt.rowLower[i]) <= SLACK, `seed ${seed} row ${i}: ${A.rowLower[i]} vs ${Bt.rowLower[i]}`);
      }
      const la = A.linear!;
      const lb = Bt.linear!;
      for (let i = 0; i < la.A.length; i++) assert.ok(Math.abs(la.A[i] - lb.A[i]) <= SLACK);
    }
  }
});

test('beta-CROWN: infeasible splits give +Infinity rows, a batch agrees with its domains alone', async () => {
  const { net, boxes } = randomCase(31);
  const H = net.layers.length - 1;
  const splits = await randomSplits(net, boxes, 3, makeRng(31));
  // Domain 0: contradict a neuron that IBP-style bounds prove stable.
  const C = await crown().bound(net, batchOf(boxes));
  let forced = false;
  for (let k = 0; k < H && !forced; k++) {
    const n = net.layers[k].outDim;
    for (let j = 0; j < n && !forced; j++) {
      if (net.layers[k].identity?.[j] || splits[k][j] !== 0) continue;
      if (C.preUpper[k][j] < -1e-3) splits[k][j] = 1;
      else if (C.preLower[k][j] > 1e-3) splits[k][j] = -1;
      else continue;
      forced = true;
    }
  }
  const batch = batchOf(boxes, { splits });
  const all = await alphaBetaCrown().bound(net, batch);
  const m = net.outputDim;
  if (forced) for (let r = 0; r < m; r++) assert.equal(all.rowLower[r], Infinity);
  for (let b = 0; b < boxes.length; b++) {
    const one = await alphaBetaCrown().bound(net, batchOf([boxes[b]], { splits: domainSplits(net, splits, b) }));
    for (let r = 0; r < m; r++) {
      const x = all.rowLower[b * m + r];
      const y = one.rowLower[r];
      assert.ok(x === y || Math.abs(x - y) <= 1e-6 * (1 + Math.abs(y)), `domain ${b} row ${r}: ${x} vs ${y}`);
    }
  }
});

test('beta-CROWN keeps the deadline and returns at least CROWN', async () => {
  const { net, boxes } = randomCase(9);
  const splits = await randomSplits(net, boxes, 2, makeRng(9));
  const batch = batchOf(boxes, { splits });
  const C = await crown().bound(net, batch);
  const t0 = performance.now();
  const Bt = await alphaBetaCrown({ iterations: 100_000 }).bound(net, batch, { deadline: performance.now() + 50 });
  assert.ok(performance.now() - t0 < 2000);
  assert.equal(Bt.rowLower.length, C.rowLower.length);
  for (let i = 0; i < C.rowLower.length; i++) assert.ok(Bt.rowLower[i] >= C.rowLower[i] - SLACK);
  assert.equal(alphaBetaCrown().name, 'beta');
});

test('a goal stops the rows of closed disjuncts (alpha and beta): the same disjuncts close, open rows keep their bounds, all sound', async () => {
  const tol = (v: number) => 1e-9 * (1 + Math.abs(v));
  let cut = 0;
  let checked = 0;
  for (let seed = 50; seed <= 57; seed++) {
    const { net, boxes } = randomCase(seed);
    const rng = makeRng(9000 + seed);
    const m = net.outputDim;
    const splits = await randomSplits(net, boxes, 2, rng);
    const batch = batchOf(boxes, { splits });
    // Disjuncts of two rows; margins at the median CROWN bound of each row, so that some disjuncts close at
    // once, some during the iterations, some never.
    const rowGroup = Int32Array.from({ length: m }, (_, o) => o >> 1);
    const C = await crown().bound(net, batch);
    const margin = Float64Array.from({ length: m }, (_, o) => {
      const v = boxes.map((_, b) => C.rowLower[b * m + o]).filter(Number.isFinite).sort((x, y) => x - y);
      return v.length ? v[v.length >> 1] : 0;
    });
    const closed = (rowLower: Float64Array, b: number, g: number) => {
      for (let o = 0; o < m; o++) if (rowGroup[o] === g && rowLower[b * m + o] > margin[o]) return true;
      return false;
    };
    for (const make of [() => alphaCrown(), () => alphaBetaCrown()]) {
      const full = await make().bound(net, batch);
      const stopped = await make().bound(net, { ...batch, goal: { rowGroup, margin } });
      checkSound(net, batch, stopped, `seed ${seed} ${make().name} with a goal`, rng);
      for (let b = 0; b < boxes.length; b++) {
        for (let g = 0; g <= rowGroup[m - 1]; g++) {
          const shut = closed(full.rowLower, b, g);
          assert.equal(closed(stopped.rowLower, b, g), shut, `seed ${seed} ${make().name} domain ${b} disjunct ${g}`);
          for (let o = 0; o < m; o++) {
            if (rowGroup[o] !== g) continue;
            const i = b * m + o;
            const [x, y] = [stopped.rowLower[i], full.rowLower[i]];
            if (x === y) continue;
            if (shut) {
              assert.ok(x <= y + tol(y), `seed ${seed} domain ${b} row ${o}: stopped ${x} above the full run's ${y}`);
              if (x < y - 1e-6) cut++;
            } else {
              assert.ok(Math.abs(x - y) <= tol(y), `seed ${seed} domain ${b} row ${o} of an open disjunct: ${x} vs ${y}`);
            }
            checked++;
          }
        }
      }
      // With every margin at -Infinity all disjuncts close on the first iterate, which is CROWN's.
      const first = await make().bound(net, { ...batch, goal: { rowGroup, margin: new Float64Array(m).fill(-Infinity) } });
      for (let i = 0; i < C.rowLower.length; i++) {
        const y = C.rowLower[i];
        assert.ok(first.rowLower[i] === y || Math.abs(first.rowLower[i] - y) <= tol(y), `seed ${seed} row ${i}: ${first.rowLower[i]} vs CROWN ${y}`);
      }
    }
  }
  assert.ok(checked > 50, `only ${checked} rows compared`);
  assert.ok(cut > 0, 'no row stopped short of the full run: the goal was never used');
});
