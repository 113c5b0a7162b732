import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refineNeurons, type RefineOptions, type RefinePass } from '../src/bab/refine/refine-neurons.js';
import { neuronPool } from '../src/bab/refine/refine-pool.js';
import { ambiguousPerLayer, optimisedIntermediates } from '../src/bounds/root-intermediates.js';
import { crown } from '../src/bounds/crown.js';
import type { LayeredNet } from '../src/network/layered.js';
import { exactPre } from './helpers/exact-pre.js';
import { forwardPre, makeRng, randomBox, randomNet, sampleBox } from './helpers/random-net.js';

/** Per hidden layer, the lowest and highest pre-activation seen at random points of the box (an inner range). */
function sampledRanges(net: LayeredNet, lower: Float64Array, upper: Float64Array, rng: () => number, count: number): { lo: Float64Array[]; hi: Float64Array[] } {
  const H = net.layers.length - 1;
  const lo = net.layers.slice(0, H).map((l) => new Float64Array(l.outDim).fill(Infinity));
  const hi = net.layers.slice(0, H).map((l) => new Float64Array(l.outDim).fill(-Infinity));
  for (let s = 0; s < count; s++) {
    const pre = forwardPre(net, sampleBox(rng, lower, upper));
    for (let k = 0; k < H; k++) {
      pre[k].forEach((v, j) => {
        if (v < lo[k][j]) lo[k][j] = v;
        if (v > hi[k][j]) hi[k][j] = v;
      });
    }
  }
  return { lo, hi };
}

/** A random net and box from `seed`, with the root's optimised intermediate bounds to refine from. */
async function refinementCase(seed: number, dims: number[] = [6, 16, 16, 16, 2]) {
  const rng = makeRng(seed);
  const net = randomNet(rng, dims);
  const { lower, upper } = randomBox(rng, dims[0], 2);
  const start = await optimisedIntermediates(net, lower, upper, performance.now() + 60_000);
  assert.ok(start);
  return { rng, net, lower, upper, start };
}

/** Time for every search to finish on these small networks, every layer searched. */
const untilDone = (extra: Partial<RefineOptions> = {}): RefineOptions => ({ deadline: performance.now() + 60_000, perNeuronSeconds: 5, minTargetShare: 0, ...extra });

for (const [seed, order] of [1, 2, 3, 4].flatMap((s) => [[s, 'default'] as const, [s, 'gain'] as const])) {
  test(`refined intermediate bounds are valid, never looser, and prove every stable neuron stable (seed ${seed}, ${order} order)`, async () => {
    const { rng, net, lower, upper, start } = await refinementCase(seed);
    // gainOrderShare 0: every layer with a deficit to close is searched in the order of its neurons' gains.
    const { pre, stats } = await refineNeurons(net, lower, upper, start, untilDone(order === 'gain' ? { gainOrderShare: 0 } : {}));
    if (order === 'gain') assert.ok(stats.byGain > 0, 'no layer was searched in gain order');
    const seen = sampledRanges(net, lower, upper, rng, 3000);
    let stableMissed = 0;
    let exactChecks = 0;
    for (let k = 0; k < 3; k++) {
      for (let j = 0; j < 16; j++) {
        const l = pre.preLower[k][j];
        const u = pre.preUpper[k][j];
        assert.ok(l >= start.preLower[k][j] && u <= start.preUpper[k][j], `layer ${k} neuron ${j}: looser than the start`);
        assert.ok(l <= seen.lo[k][j] + 1e-9 && u >= seen.hi[k][j] - 1e-9, `layer ${k} neuron ${j}: [${l}, ${u}] misses a sampled value`);
        // A neuron whose bounds refinement moved is checked by the exact MIP (samples could miss the extremes);
        // a neuron still ambiguous that no sample saw on both sides is checked for being stable after all (each
        // search is complete and has the time to finish on a network this small, so a stable neuron must come
        // out stable). Other moves are checked by the samples above.
        // Any bound that moved (made stable, tightened, or a search's partial bound) is checked exactly.
        const lowerMoved = l > start.preLower[k][j];
        const upperMoved = u < start.preUpper[k][j];
        const stillAmbiguous = l < 0 && u > 0;
        if (lowerMoved || (stillAmbiguous && !(seen.lo[k][j] < 0))) {
          exactChecks++;
          const lo = await exactPre(net, k, j, 1, lower, upper);
          assert.ok(l <= lo + 1e-9, `layer ${k} neuron ${j}: lower ${l} above the exact minimum ${lo}`);
          if (stillAmbiguous && lo > 1e-6) stableMissed++;
        }
        if (upperMoved || (stillAmbiguous && !(seen.hi[k][j] > 0))) {
          exactChecks++;
          const hi = await exactPre(net, k, j, -1, lower, upper);
          assert.ok(u >= hi - 1e-9, `layer ${k} neuron ${j}: upper ${u} below the exact maximum ${hi}`);
          if (stillAmbiguous && hi < -1e-6) stableMissed++;
        }
      }
    }
    assert.equal(stableMissed, 0, `${stableMissed} stable neurons left ambiguous`);
    assert.ok(exactChecks > 0);
    assert.ok(stats.ambiguousAfter <= stats.ambiguousBefore - stats.proved);
  });
}

test('the random cases include stable neurons the optimised bounds leave ambiguous (the test above is not vacuous)', async () => {
  let total = 0;
  for (const seed of [1, 2, 3, 4]) {
    const { net, lower, upper, start } = await refinementCase(seed);
    const { stats } = await refineNeurons(net, lower, upper, start, untilDone());
    total += stats.proved;
  }
  assert.ok(total >= 3, `only ${total} neurons proved stable over four networks`);
});

test('with no time left the bounds are the start\'s and no neuron is searched', async () => {
  const { net, lower, upper, start } = await refinementCase(11, [6, 20, 20, 2]);
  const { pre, stats } = await refineNeurons(net, lower, upper, start, { deadline: performance.now() - 1, perNeuronSeconds: 1 });
  assert.equal(stats.tried, 0);
  assert.deepEqual(pre.preLower.map((a) => Array.from(a)), start.preLower.map((a) => Array.from(a)));
  assert.deepEqual(pre.preUpper.map((a) => Array.from(a)), start.preUpper.map((a) => Array.from(a)));
});

test('two threads prove the same neurons stable as one (the worker searches its share of each layer)', async () => {
  const { net, lower, upper, start } = await refinementCase(3);
  const one = await refineNeurons(net, lower, upper, start, untilDone({ threads: 1 }));
  const pool = neuronPool(2);
  await pool.started();
  const two = await refineNeurons(net, lower, upper, start, untilDone({ pool }));
  await pool.close();
  assert.ok(one.stats.proved > 0);
  assert.equal(two.stats.proved, one.stats.proved);
  assert.equal(one.stats.onWorkers, 0);
  assert.ok(two.stats.onWorkers > 0, 'the worker searched no neuron');
  const stable = (pre: typeof one.pre) => pre.preLower.map((lo, k) => Array.from(lo, (l, j) => (l >= 0 ? 1 : pre.preUpper[k][j] <= 0 ? -1 : 0)));
  assert.deepEqual(stable(two.pre), stable(one.pre));
});

test('refinement stops at a layer where too few ambiguous neurons are candidates for a proof', async () => {
  const { net, lower, upper, start } = await refinementCase(1);
  const all = await refineNeurons(net, lower, upper, start, untilDone());
  assert.ok(all.stats.tried > 0);
  // Every ambiguous neuron a candidate: never the case here, so nothing is searched.
  const none = await refineNeurons(net, lower, upper, start, untilDone({ minTargetShare: 1.01 }));
  assert.equal(none.stats.tried, 0);
  assert.equal(none.stats.layers, 0);
});

test('searches that ran out of time are searched again with the time left: the same neurons come out stable as with long first searches', async () => {
  const { net, lower, upper, start } = await refinementCase(2);
  const long = await refineNeurons(net, lower, upper, start, untilDone({ threads: 1 }));
  // A millisecond each: the first pass's searches stop at their root bound.
  const short = await refineNeurons(net, lower, upper, start, untilDone({ threads: 1, perNeuronSeconds: 0.001 }));
  assert.ok(long.stats.proved > 0);
  assert.ok(short.stats.retried > 0, 'no search ran out of time in the first pass');
  const stable = (pre: typeof long.pre) => pre.preLower.map((lo, k) => Array.from(lo, (l, j) => (l >= 0 ? 1 : pre.preUpper[k][j] <= 0 ? -1 : 0)));
  assert.deepEqual(stable(short.pre), stable(long.pre));
  // The same in two calls: the first reports the searches that ran out of time, the second searches only those.
  const first = await refineNeurons(net, lower, upper, start, untilDone({ threads: 1, perNeuronSeconds: 0.001, retry: false }));
  assert.equal(first.stats.retried, 0);
  assert.ok(first.timedOut.size > 0);
  const second = await refineNeurons(net, lower, upper, first.pre, untilDone({ threads: 1, perNeuronSeconds: 0.001, again: first.timedOut }));
  assert.equal(second.stats.layers, 0, 'the second call searched layers of its own');
  assert.deepEqual(stable(second.pre), stable(long.pre));
  assert.equal(second.timedOut.size, 0);
  // In gain order (every layer with a deficit, each search sized by the gains), the same neurons come out stable.
  const gain = await refineNeurons(net, lower, upper, start, untilDone({ threads: 1, perNeuronSeconds: 0.001, gainOrderShare: 0 }));
  assert.ok(gain.stats.byGain > 0);
  assert.deepEqual(stable(gain.pre), stable(long.pre));
});

test('in gain order a layer stops once `enough` says the bounds suffice, asked as the proved neurons\' gains add up', async () => {
  // Two hidden layers: only the second is searched. The output's bias is moved so that CROWN's bound (every layer's
  // bounds kept, as target-impact.ts bounds it) is -1e-3: the first proof with any gain makes the layer ask.
  const { rng, net: raw, lower, upper, start } = await refinementCase(11, [6, 24, 24, 1]);
  const H = raw.layers.length - 1;
  const base = await crown().bound(raw, { size: 1, lower, upper, preLower: start.preLower, preUpper: start.preUpper, freshFrom: Int32Array.of(H) });
  const last = raw.layers[H];
  const net: LayeredNet = { ...raw, layers: [...raw.layers.slice(0, H), { ...last, b: Float64Array.of(last.b[0] - base.rowLower[0] - 1e-3) }] };
  const all = await refineNeurons(net, lower, upper, start, untilDone({ threads: 1, gainOrderShare: 0, enough: async () => false }));
  assert.ok(all.stats.tried >= 3, `only ${all.stats.tried} neurons searched`);
  assert.ok(all.stats.byGain > 0);
  let asked = 0;
  const early = await refineNeurons(net, lower, upper, start, untilDone({ threads: 1, gainOrderShare: 0, enough: async () => (asked++, true) }));
  assert.ok(asked >= 1, '`enough` was never asked');
  assert.ok(early.stats.tried < all.stats.tried, `searched ${early.stats.tried} of ${all.stats.tried} neurons after the bounds sufficed`);
  // On two threads the worker's running search is called off too, and the layer still ends.
  const pool = neuronPool(2);
  await pool.started();
  const twoThreads = await refineNeurons(net, lower, upper, start, untilDone({ pool, gainOrderShare: 0, enough: async () => true }));
  await pool.close();
  assert.ok(twoThreads.stats.tried < all.stats.tried, `searched ${twoThreads.stats.tried} of ${all.stats.tried} neurons on two threads`);
  const seen = sampledRanges(net, lower, upper, rng, 2000);
  for (let k = 0; k < H; k++) {
    for (let j = 0; j < net.layers[k].outDim; j++) assert.ok(twoThreads.pre.preLower[k][j] <= seen.lo[k][j] + 1e-9 && twoThreads.pre.preUpper[k][j] >= seen.hi[k][j] - 1e-9, `two threads: layer ${k} neuron ${j}`);
    for (let j = 0; j < net.layers[k].outDim; j++) assert.ok(early.pre.preLower[k][j] <= seen.lo[k][j] + 1e-9 && early.pre.preUpper[k][j] >= seen.hi[k][j] - 1e-9, `layer ${k} neuron ${j}`);
  }
});

test('neurons seen on both sides of 0 get tighter bounds (never past their exact extremes, checked above); tighten: false leaves them', async () => {
  let tightened = 0;
  let narrower = 0;
  for (const seed of [1, 2]) {
    const { net, lower, upper, start } = await refinementCase(seed);
    const off = await refineNeurons(net, lower, upper, start, untilDone({ threads: 1, tighten: false }));
    const on = await refineNeurons(net, lower, upper, start, untilDone({ threads: 1 }));
    assert.equal(off.stats.tightened, 0);
    tightened += on.stats.tightened;
    for (let k = 1; k < 3; k++) {
      for (let j = 0; j < 16; j++) {
        const offW = off.pre.preUpper[k][j] - off.pre.preLower[k][j];
        const onW = on.pre.preUpper[k][j] - on.pre.preLower[k][j];
        // Same stability proofs, so a neuron ambiguous in both differs by its tightening alone.
        if (off.pre.preLower[k][j] < 0 && off.pre.preUpper[k][j] > 0 && onW < offW - 1e-6) narrower++;
      }
    }
  }
  assert.ok(tightened > 0, 'no bound tightened');
  assert.ok(narrower > 0, 'no ambiguous neuron narrower with tightening');
});

test('onPass reports every layer searched, in order, with the ambiguous neurons per layer the result has after it', async () => {
  const { net, lower, upper, start } = await refinementCase(1);
  const passes: RefinePass[] = [];
  const { pre, stats } = await refineNeurons(net, lower, upper, start, untilDone({ onPass: (p) => passes.push(p) }));
  const first = passes.filter((p) => p.kind === 'first');
  assert.equal(first.length, stats.layers);
  assert.ok(first.length > 0);
  first.forEach((p, i) => {
    if (i > 0) assert.ok(p.layer > first[i - 1].layer, 'layers out of order');
    assert.ok(p.targets > 0 && p.seconds >= 0 && p.changed <= p.targets);
  });
  assert.deepEqual(passes[passes.length - 1].ambiguous, ambiguousPerLayer(pre));
  assert.equal(passes.reduce((s, p) => s + p.targets, 0) >= stats.tried, true);
});
