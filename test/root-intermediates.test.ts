import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crown } from '../src/bounds/crown.js';
import { optimisedIntermediates } from '../src/bounds/root-intermediates.js';
import type { LayeredNet } from '../src/network/layered.js';
import type { BoundResult, DomainBatch } from '../src/bounds/types.js';
import { exactPre } from './helpers/exact-pre.js';
import { assertBoundsHoldOnSamples, batchOf, makeRng, randomBox, randomNet, randomSplits, sampleStats } from './helpers/random-net.js';

for (const seed of [1, 2, 3]) {
  test(`optimised intermediate bounds are valid (the exact MIP per neuron lies inside) and never looser than CROWN's (seed ${seed})`, async () => {
    const rng = makeRng(seed);
    const net = randomNet(rng, [5, 16, 16, 16, 2]);
    const { lower, upper } = randomBox(rng, 5, 2);
    const base = await crown().bound(net, { size: 1, lower, upper });
    const opt = await optimisedIntermediates(net, lower, upper, performance.now() + 60_000);
    assert.ok(opt);
    let widthCrown = 0;
    let widthOpt = 0;
    for (let k = 0; k < 3; k++) {
      for (let j = 0; j < 16; j++) {
        assert.ok(opt.preLower[k][j] >= base.preLower[k][j], `layer ${k} neuron ${j}: lower looser than CROWN's`);
        assert.ok(opt.preUpper[k][j] <= base.preUpper[k][j], `layer ${k} neuron ${j}: upper looser than CROWN's`);
        widthCrown += base.preUpper[k][j] - base.preLower[k][j];
        widthOpt += opt.preUpper[k][j] - opt.preLower[k][j];
        if (k === 0) continue;
        const lo = await exactPre(net, k, j, 1, lower, upper);
        const hi = await exactPre(net, k, j, -1, lower, upper);
        assert.ok(opt.preLower[k][j] <= lo + 1e-9, `layer ${k} neuron ${j}: lower ${opt.preLower[k][j]} above the exact minimum ${lo}`);
        assert.ok(opt.preUpper[k][j] >= hi - 1e-9, `layer ${k} neuron ${j}: upper ${opt.preUpper[k][j]} below the exact maximum ${hi}`);
      }
    }
    assert.ok(widthOpt < widthCrown, `no tighter than CROWN: ${widthOpt} vs ${widthCrown}`);
    assert.ok(opt.ambiguousAfter <= opt.ambiguousBefore);
  });
}

test('with no time left the bounds are CROWN\'s', async () => {
  const rng = makeRng(9);
  const net = randomNet(rng, [5, 16, 16, 2]);
  const { lower, upper } = randomBox(rng, 5, 2);
  const base = await crown().bound(net, { size: 1, lower, upper });
  const opt = await optimisedIntermediates(net, lower, upper, performance.now() - 1);
  assert.ok(opt);
  assert.deepEqual(opt.preLower.map((a) => Array.from(a)), base.preLower.map((a) => Array.from(a)));
  assert.equal(opt.ambiguousAfter, opt.ambiguousBefore);
});

/** Four sub-domains of the box: halves along random inputs, with random splits on ambiguous neurons. */
async function children(net: LayeredNet, lower: Float64Array, upper: Float64Array, rng: () => number) {
  const out: { lower: Float64Array; upper: Float64Array; splits: Int8Array[] }[] = [];
  for (let c = 0; c < 4; c++) {
    const lo = lower.slice();
    const hi = upper.slice();
    const i = Math.floor(rng() * lo.length);
    const mid = 0.5 * (lo[i] + hi[i]);
    if (c % 2 === 0) hi[i] = mid;
    else lo[i] = mid;
    out.push({ lower: lo, upper: hi, splits: await randomSplits(net, lo, hi, 3, rng) });
  }
  return out;
}

/** The children as one batch inheriting the root's bounds. */
function childBatch(net: LayeredNet, kids: Awaited<ReturnType<typeof children>>, pre: { preLower: Float64Array[]; preUpper: Float64Array[] }, extra: Partial<DomainBatch> = {}): DomainBatch {
  const H = net.layers.length - 1;
  const stack = (f: (k: number, c: number) => ArrayLike<number>, make: (n: number) => Float64Array | Int8Array) =>
    Array.from({ length: H }, (_, k) => {
      const n = net.layers[k].outDim;
      const a = make(kids.length * n);
      kids.forEach((_, c) => a.set(f(k, c), c * n));
      return a;
    });
  return batchOf(kids, {
    preLower: stack((k) => pre.preLower[k], (n) => new Float64Array(n)) as Float64Array[],
    preUpper: stack((k) => pre.preUpper[k], (n) => new Float64Array(n)) as Float64Array[],
    splits: stack((k, c) => kids[c].splits[k], (n) => new Int8Array(n)) as Int8Array[],
    ...extra,
  });
}

/** Sampled pre-activation ranges and output minima of each child lie inside its bounds. */
function assertValid(net: LayeredNet, kids: Awaited<ReturnType<typeof children>>, res: BoundResult, what: string): void {
  const stats = kids.map((kid, c) => sampleStats(net, kid.lower, kid.upper, 2000, makeRng(c + 1), kid.splits));
  assertBoundsHoldOnSamples(net, res, stats, what, 1e-9);
}

/** Summed width of the intermediate bounds of layers >= 1 (layer 0's are exact either way). */
function interWidth(res: BoundResult): number {
  let w = 0;
  for (let k = 1; k < res.preLower.length; k++) for (let i = 0; i < res.preLower[k].length; i++) w += res.preUpper[k][i] - res.preLower[k][i];
  return w;
}

test("children's intermediate bounds from the root's optimised slopes are valid and tighter than from CROWN's own", async () => {
  let withSlopes = 0;
  let without = 0;
  for (const seed of [4, 5, 6]) {
    const rng = makeRng(seed);
    const net = randomNet(rng, [5, 16, 16, 16, 2]);
    const { lower, upper } = randomBox(rng, 5, 2);
    const opt = await optimisedIntermediates(net, lower, upper, performance.now() + 60_000);
    assert.ok(opt);
    assert.ok(opt.slopes.some((s) => s), 'no layer kept its slopes');
    const kids = await children(net, lower, upper, rng);
    const plain = await crown().bound(net, childBatch(net, kids, opt));
    const shared = await crown().bound(net, childBatch(net, kids, opt, { intermediateSlopes: opt.slopes }));
    assertValid(net, kids, plain, 'own slopes');
    assertValid(net, kids, shared, 'shared slopes');
    withSlopes += interWidth(shared);
    without += interWidth(plain);
  }
  assert.ok(withSlopes < without, `shared slopes no tighter: ${withSlopes} vs ${without}`);
});

test('any shared slopes give valid bounds: random values, out of range, and NaN', async () => {
  for (const seed of [7, 8]) {
    const rng = makeRng(seed);
    const net = randomNet(rng, [4, 12, 12, 12, 3]);
    const { lower, upper } = randomBox(rng, 4, 2);
    const base = await crown().bound(net, { size: 1, lower, upper });
    const kids = await children(net, lower, upper, rng);
    // Every neuron of every layer gets a row pair with arbitrary slopes on every lower layer.
    const slopes = net.layers.slice(0, -1).map((layer, k) =>
      k === 0
        ? undefined
        : {
            rowOf: Int32Array.from({ length: layer.outDim }, (_, j) => 2 * j),
            slopes: net.layers.slice(0, k).map((l) => Float32Array.from({ length: 2 * layer.outDim * l.outDim }, () => (rng() < 0.1 ? NaN : 1.4 * rng() - 0.2))),
          },
    );
    const res = await crown().bound(net, childBatch(net, kids, base, { intermediateSlopes: slopes }));
    assertValid(net, kids, res, `seed ${seed}`);
  }
});
