import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayeredNet } from '../src/network/layered.js';
import { forward } from '../src/network/layered.js';
import { alphaCrown, bounderByName, crown, ibp, symbolic } from '../src/bounds/index.js';
import type { Bounder, BoundResult, DomainBatch } from '../src/bounds/types.js';
import { concretize, interleavedBox } from '../src/bounds/crown.js';
import { assertBoundsHoldOnSamples, forwardPre, makeRng, randomBox, randomNet, sampleBox, sampleStats, type Rng, type SampleStats, batchOf, domainSplits, randomCase as sharedRandomCase, type RandomCase } from './helpers/random-net.js';

const SLACK = 1e-9;
const SAMPLES = 10_000;

type Case = RandomCase;

const randomCase = (seed: number): Case => sharedRandomCase(seed, { widthSpread: 13, outputSpread: 4, identityEvery: 3, minBoxWidth: 0.3 });




const bounders: Bounder[] = [ibp, crown(), crown({ lowerSlope: 'kw' }), crown({ lowerSlope: 'zero' }), alphaCrown(), symbolic()];

/** Sample statistics of each domain of the batch (respecting splits). */
function batchStats(net: LayeredNet, batch: DomainBatch, rng: Rng): SampleStats[] {
  const n0 = net.inputDim;
  const out: SampleStats[] = [];
  for (let b = 0; b < batch.size; b++) {
    const lower = batch.lower.slice(b * n0, (b + 1) * n0);
    const upper = batch.upper.slice(b * n0, (b + 1) * n0);
    out.push(sampleStats(net, lower, upper, SAMPLES, rng, domainSplits(net, batch.splits, b)));
  }
  return out;
}

/** Checks every bound of `res` against samples of each domain (respecting splits). */
function checkValid(net: LayeredNet, batch: DomainBatch, res: BoundResult, label: string, stats: SampleStats[], rng: Rng): void {
  assertBoundsHoldOnSamples(net, res, stats, label, SLACK);
  const m = net.outputDim;
  const n0 = net.inputDim;
  const H = net.layers.length - 1;
  for (let b = 0; b < batch.size; b++) {
    const lower = batch.lower.slice(b * n0, (b + 1) * n0);
    const upper = batch.upper.slice(b * n0, (b + 1) * n0);
    const sp = domainSplits(net, batch.splits, b);
    if (stats[b].kept === 0) continue; // possibly empty: any bound is valid
    if (res.linear) {
      // Linear lower bounds hold at sampled feasible points.
      const { A, c } = res.linear;
      const x = new Float64Array(n0);
      for (let s = 0; s < 300; s++) {
        sampleBox(rng, lower, upper, x);
        const pre = forwardPre(net, x);
        if (sp && !pre.slice(0, H).every((z, k) => z.every((v, j) => !(sp[k][j] > 0 && v < 0) && !(sp[k][j] < 0 && v > 0)))) continue;
        const out = pre[H];
        for (let r = 0; r < m; r++) {
          let v = c[b * m + r];
          for (let j = 0; j < n0; j++) v += A[(b * m + r) * n0 + j] * x[j];
          assert.ok(v <= out[r] + SLACK, `${label}: linear bound row ${r} domain ${b}: ${v} > ${out[r]}`);
        }
      }
    }
  }
}

test('random nets: all bounders are sound, CROWN >= IBP, alpha >= CROWN', async () => {
  let improved = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const { net, boxes } = randomCase(seed);
    const batch = batchOf(boxes);
    const rng = makeRng(1000 + seed);
    const results = new Map<string, BoundResult>();
    const stats = batchStats(net, batch, rng);
    for (const bd of bounders) {
      const res = await bd.bound(net, batch);
      assert.equal(res.rowLower.length, batch.size * net.outputDim);
      checkValid(net, batch, res, `seed ${seed} ${bd.name}`, stats, rng);
      results.set(bd.name, res);
    }
    const I = results.get('ibp')!;
    const C = results.get('crown')!;
    const A = results.get('alpha')!;
    for (let i = 0; i < I.rowLower.length; i++) {
      assert.ok(C.rowLower[i] >= I.rowLower[i] - SLACK, `seed ${seed}: crown ${C.rowLower[i]} < ibp ${I.rowLower[i]}`);
      assert.ok(A.rowLower[i] >= C.rowLower[i] - SLACK, `seed ${seed}: alpha ${A.rowLower[i]} < crown ${C.rowLower[i]}`);
      if (A.rowLower[i] > C.rowLower[i] + 1e-6) improved++;
    }
    // Intermediate bounds of CROWN are inside IBP's.
    for (let k = 0; k < I.preLower.length; k++) {
      for (let i = 0; i < I.preLower[k].length; i++) {
        assert.ok(C.preLower[k][i] >= I.preLower[k][i] - SLACK);
        assert.ok(C.preUpper[k][i] <= I.preUpper[k][i] + SLACK);
      }
    }
  }
  assert.ok(improved > 0, 'alpha never improved on CROWN');
});

test('splits: bounds valid on the split sub-domain; impossible splits give +Infinity', async () => {
  for (let seed = 1; seed <= 20; seed++) {
    const { net, boxes } = randomCase(seed);
    const rng = makeRng(5000 + seed);
    const H = net.layers.length - 1;
    const n0 = net.inputDim;
    // Parent bounds, inherited by the children.
    const parent = await crown().bound(net, batchOf(boxes));
    const splits = net.layers.slice(0, H).map((l) => new Int8Array(boxes.length * l.outDim));
    for (let b = 0; b < boxes.length; b++) {
      // Splits consistent with a sampled point (feasible), plus on odd domains one random sign.
      const pre = forwardPre(net, sampleBox(rng, boxes[b].lower, boxes[b].upper));
      for (let q = 0; q < 3; q++) {
        const k = Math.floor(rng() * H);
        const n = net.layers[k].outDim;
        const j = Math.floor(rng() * n);
        if (net.layers[k].identity?.[j]) continue;
        splits[k][b * n + j] = pre[k][j] >= 0 ? 1 : -1;
      }
      if (b % 2 === 1) {
        const k = Math.floor(rng() * H);
        const n = net.layers[k].outDim;
        const j = Math.floor(rng() * n);
        if (!net.layers[k].identity?.[j]) splits[k][b * n + j] = rng() < 0.5 ? 1 : -1;
      }
    }
    for (const inherit of [false, true]) {
      const batch = batchOf(boxes, inherit ? { splits, preLower: parent.preLower, preUpper: parent.preUpper } : { splits });
      const stats = batchStats(net, batch, rng);
      for (const bd of bounders) {
        const res = await bd.bound(net, batch);
        checkValid(net, batch, res, `seed ${seed} ${bd.name} splits inherit=${inherit}`, stats, rng);
        // Split constraints show in the reported pre-activation bounds.
        for (let k = 0; k < H; k++) {
          const s = splits[k];
          for (let i = 0; i < s.length; i++) {
            const b = Math.floor(i / net.layers[k].outDim);
            if (res.rowLower[b * net.outputDim] === Infinity) continue;
            if (s[i] > 0) assert.ok(res.preLower[k][i] >= 0, `${bd.name} seed ${seed} layer ${k} idx ${i}: ${res.preLower[k][i]} ${res.preUpper[k][i]} id ${net.layers[k].identity?.[i % net.layers[k].outDim]}`);
            if (s[i] < 0) assert.ok(res.preUpper[k][i] <= 0);
          }
        }
      }
    }
    // A split contradicting a proved-stable neuron empties the domain.
    const ib = await ibp.bound(net, batchOf(boxes));
    let done = false;
    for (let k = 0; k < H && !done; k++) {
      const n = net.layers[k].outDim;
      for (let j = 0; j < n && !done; j++) {
        if (net.layers[k].identity?.[j]) continue;
        let sign = 0;
        if (ib.preUpper[k][j] < -1e-3) sign = 1;
        else if (ib.preLower[k][j] > 1e-3) sign = -1;
        if (!sign) continue;
        const sp = net.layers.slice(0, H).map((l) => new Int8Array(boxes.length * l.outDim));
        sp[k][j] = sign; // domain 0 only
        const batch = batchOf(boxes, { splits: sp });
        for (const bd of bounders) {
          const res = await bd.bound(net, batch);
          for (let r = 0; r < net.outputDim; r++) assert.equal(res.rowLower[r], Infinity, `${bd.name} seed ${seed}`);
          for (let r = net.outputDim; r < res.rowLower.length; r++) assert.ok(Number.isFinite(res.rowLower[r]));
        }
        done = true;
      }
    }
    void n0;
  }
});

test('a batch of B domains gives the same bounds as each domain alone', async () => {
  for (let seed = 21; seed <= 26; seed++) {
    const { net, boxes } = randomCase(seed);
    const rng = makeRng(seed);
    const H = net.layers.length - 1;
    const splits = net.layers.slice(0, H).map((l) => new Int8Array(boxes.length * l.outDim));
    for (let k = 0; k < H; k++) for (let i = 0; i < splits[k].length; i++) if (rng() < 0.05) splits[k][i] = rng() < 0.5 ? 1 : -1;
    const batch = batchOf(boxes, { splits });
    for (const bd of bounders) {
      const all = await bd.bound(net, batch);
      const m = net.outputDim;
      for (let b = 0; b < boxes.length; b++) {
        const one = await bd.bound(net, batchOf([boxes[b]], { splits: domainSplits(net, splits, b) }));
        for (let r = 0; r < m; r++) {
          const x = all.rowLower[b * m + r];
          const y = one.rowLower[r];
          const tol = bd.name === 'alpha' ? 1e-6 : 1e-9;
          assert.ok(x === y || Math.abs(x - y) <= tol * (1 + Math.abs(y)), `${bd.name} seed ${seed} domain ${b} row ${r}: ${x} vs ${y}`);
        }
        for (let k = 0; k < H; k++) {
          const n = net.layers[k].outDim;
          if (one.rowLower[0] === Infinity) continue;
          for (let j = 0; j < n; j++) {
            assert.ok(Math.abs(all.preLower[k][b * n + j] - one.preLower[k][j]) <= 1e-9 * (1 + Math.abs(one.preLower[k][j])));
            assert.ok(Math.abs(all.preUpper[k][b * n + j] - one.preUpper[k][j]) <= 1e-9 * (1 + Math.abs(one.preUpper[k][j])));
          }
        }
      }
    }
  }
});

function netFrom(layers: { W: number[][]; b: number[] }[]): LayeredNet {
  const L = layers.map(({ W, b }) => ({ inDim: W[0].length, outDim: W.length, W: Float64Array.from(W.flat()), b: Float64Array.from(b) }));
  return { inputShape: [1, L[0].inDim], inputDim: L[0].inDim, outputDim: L[L.length - 1].outDim, layers: L };
}

test('thesis A.6.1 worked example (ALGORITHMS.md §3.3)', async () => {
  const net = netFrom([
    { W: [[1, -1], [1, -1]], b: [-1, 1] },
    { W: [[-1, 2], [-2, 1]], b: [-2, 0] },
    { W: [[2, -1]], b: [0] },
  ]);
  const batch: DomainBatch = { size: 1, lower: Float64Array.from([-1, -1]), upper: Float64Array.from([1, 1]) };
  const near = (x: number, y: number, what: string) => assert.ok(Math.abs(x - y) <= 1e-4, `${what}: ${x} vs ${y}`);
  const I = await ibp.bound(net, batch);
  near(I.rowLower[0], -3, 'IBP');
  assert.deepEqual(Array.from(I.preLower[0]), [-3, -1]);
  assert.deepEqual(Array.from(I.preUpper[0]), [1, 3]);
  near((await crown({ clampWithIbp: false }).bound(net, batch)).rowLower[0], -8, 'CROWN adaptive');
  near((await crown({ lowerSlope: 'zero', clampWithIbp: false }).bound(net, batch)).rowLower[0], -3, 'CROWN alpha=0');
  // The reference value uses pure KW intermediate bounds (not intersected with IBP) ...
  const kw = crown({ lowerSlope: 'kw', clampWithIbp: false, intermediateIbp: false });
  near((await kw.bound(net, batch)).rowLower[0], -3.9987, 'KW');
  // ... with the (tighter) IBP-intersected intermediate bounds, alpha = s happens to be looser.
  const kwTight = await crown({ lowerSlope: 'kw', clampWithIbp: false }).bound(net, batch);
  near(kwTight.rowLower[0], -4.2094, 'KW, tightest intermediate bounds');
  const C = await crown().bound(net, batch);
  near(C.rowLower[0], -3, 'CROWN clamped with IBP');
  const Aunclamped = await alphaCrown({ clampWithIbp: false, iterations: 50 }).bound(net, batch);
  assert.ok(Aunclamped.rowLower[0] >= -8 - SLACK && Aunclamped.rowLower[0] <= -1 + SLACK);
  assert.ok(Aunclamped.rowLower[0] > -8 + 1e-3, `alpha should improve on -8, got ${Aunclamped.rowLower[0]}`);
  const A = await alphaCrown().bound(net, batch);
  assert.ok(A.rowLower[0] >= -3 - SLACK && A.rowLower[0] <= -1 + SLACK);
  assert.equal(forward(net, Float64Array.from([1, 1]))[0] >= -1, true);
});

test('[LD] two-ReLU example: IBP -8, true min -4, CROWN and alpha in between', async () => {
  const net = netFrom([
    { W: [[1, 1], [1, -1]], b: [0, 0] },
    { W: [[-1, -1]], b: [0] },
  ]);
  const batch: DomainBatch = { size: 1, lower: Float64Array.from([-2, -2]), upper: Float64Array.from([2, 2]) };
  const I = await ibp.bound(net, batch);
  assert.ok(Math.abs(I.rowLower[0] + 8) < 1e-12);
  for (const name of ['crown', 'alpha'] as const) {
    const r = await bounderByName(name).bound(net, batch);
    assert.ok(r.rowLower[0] >= -8 - SLACK && r.rowLower[0] <= -4 + SLACK, `${name}: ${r.rowLower[0]}`);
    assert.ok(Math.abs(r.rowLower[0] + 6) < 1e-9, `${name}: expected the triangle bound -6, got ${r.rowLower[0]}`);
  }
  const min = sampleStats(net, batch.lower, batch.upper, SAMPLES).min[0];
  assert.ok(Math.abs(min + 4) < 1e-9);
});

test('deadline: alpha returns at least CROWN when out of time', async () => {
  const { net, boxes } = randomCase(7);
  const batch = batchOf(boxes);
  const C = await crown().bound(net, batch);
  const A = await alphaCrown({ iterations: 1000 }).bound(net, batch, { deadline: performance.now() - 1 });
  for (let i = 0; i < C.rowLower.length; i++) assert.ok(A.rowLower[i] >= C.rowLower[i] - SLACK);
});

test('concretize: the minimisers it writes (argmin) are box corners that attain the same bound', () => {
  const rng = makeRng(7);
  const R = 5;
  const n0 = 9;
  const boxes = [randomBox(rng, n0, 1), randomBox(rng, n0, 3)];
  const lower = Float64Array.from([...boxes[0].lower, ...boxes[1].lower]);
  const upper = Float64Array.from([...boxes[0].upper, ...boxes[1].upper]);
  const A = Float64Array.from({ length: R * n0 }, () => rng() * 2 - 1);
  A[3] = 0;
  const c = Float64Array.from({ length: R }, () => rng());
  const rowDomain = Int32Array.from({ length: R }, (_, r) => r % 2);
  const ends = interleavedBox(lower, upper);
  const plain = concretize(A, c, R, n0, rowDomain, ends);
  const argmin = new Float64Array(R * n0);
  const withArgmin = concretize(A, c, R, n0, rowDomain, ends, undefined, argmin);
  assert.deepEqual(withArgmin, plain);
  for (let r = 0; r < R; r++) {
    const b = rowDomain[r];
    let s = c[r];
    for (let j = 0; j < n0; j++) {
      const a = A[r * n0 + j];
      const x = argmin[r * n0 + j];
      assert.equal(x, a < 0 ? upper[b * n0 + j] : lower[b * n0 + j], `row ${r} input ${j}`);
      s += a * x;
    }
    assert.equal(s, plain[r]);
  }
});
