/**
 * Layers held in CSR (src/network/linear.ts, sparseLayer): every bounder, the
 * forward passes, the rounding scale and the thread transfer give the same
 * numbers as on the dense form of the same matrices, and the dense W of a
 * sparse layer is materialised only when something asks for it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alphaBetaCrown, alphaCrown, crown, ibp, symbolic, planetLpBounder } from '../src/bounds/index.js';
import { csrFromDense, forward, sparseLayer, type LayeredNet } from '../src/network/layered.js';
import { forwardBatch, backwardBatch } from '../src/network/batch.js';
import { fromPlainNet, toPlainNet } from '../src/network/transfer.js';
import { errorScale } from '../src/problem/rounding.js';
import { relu, sigmoid, tanh } from '../src/network/activations/registry.js';
import { batchOf, makeRng, randomBox, randomNet } from './helpers/random-net.js';

/** The same net with every layer's weights (half of them zeroed) in CSR. */
function sparseTwin(net: LayeredNet, rng: () => number): { dense: LayeredNet; sparse: LayeredNet } {
  const layers = net.layers.map((l) => ({ ...l, W: Float64Array.from(l.W, (w) => (rng() < 0.5 ? 0 : w)) }));
  const dense = { ...net, layers };
  const sparse = { ...net, layers: layers.map((l) => sparseLayer({ ...l, csr: csrFromDense(l.W, l.outDim, l.inDim) })) };
  return { dense, sparse };
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, label: string): void {
  assert.equal(a.length, b.length, label);
  for (let i = 0; i < a.length; i++) {
    const tol = 1e-10 * (1 + Math.abs(b[i]));
    assert.ok(a[i] === b[i] || Math.abs(a[i] - b[i]) <= tol, `${label}[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

test('sparse layers: the same bounds, forward values and gradients as the dense layers', async () => {
  for (const [seed, acts] of [[1, [relu]], [2, [relu, sigmoid, tanh]], [3, [relu]]] as const) {
    const rng = makeRng(seed);
    const { dense, sparse } = sparseTwin(randomNet(rng, [4, 12, 10, 3], { activations: acts, identityFraction: seed === 3 ? 0.3 : 0 }), rng);
    const boxes = [randomBox(rng, 4, 1), randomBox(rng, 4, 0.3)];
    const batch = batchOf(boxes);
    for (const b of [ibp, crown(), alphaCrown({ iterations: 5 }), symbolic(), alphaBetaCrown({ iterations: 5 })]) {
      const [d, s] = [await b.bound(dense, batch), await b.bound(sparse, batch)];
      close(s.rowLower, d.rowLower, `${b.name} seed ${seed}`);
      s.preLower.forEach((p, k) => close(p, d.preLower[k], `${b.name} preLower ${k}`));
    }
    const x = Float64Array.from(boxes[0].lower);
    close(forward(sparse, x), forward(dense, x), 'forward');
    const X = batch.lower;
    const [fd, fs] = [await forwardBatch(dense, X, 2), await forwardBatch(sparse, X, 2)];
    close(fs.output, fd.output, 'forwardBatch');
    const G = Float64Array.from({ length: 6 }, (_, i) => i - 2.5);
    close(await backwardBatch(sparse, fs, G.slice(), 2), await backwardBatch(dense, fd, G.slice(), 2), 'backwardBatch');
    close(errorScale(sparse, boxes[0].lower, boxes[0].upper).output, errorScale(dense, boxes[0].lower, boxes[0].upper).output, 'errorScale');
    close(forward(fromPlainNet(toPlainNet(sparse)), x), forward(dense, x), 'transfer');
  }
});

test('a sparse layer materialises W only on demand (the LP asks for it), and the LP agrees', async () => {
  const rng = makeRng(9);
  const { dense, sparse } = sparseTwin(randomNet(rng, [3, 8, 2]), rng);
  const batch = batchOf([randomBox(rng, 3, 1)]);
  await crown().bound(sparse, batch);
  const own = (l: object) => Object.getOwnPropertyNames(l).includes('W') && Object.keys(l).includes('W');
  assert.ok(!own(sparse.layers[0]), 'W must not be an enumerable data field of a sparse layer');
  close((await planetLpBounder().bound(sparse, batch)).rowLower, (await planetLpBounder().bound(dense, batch)).rowLower, 'lp');
  close(sparse.layers[0].W, dense.layers[0].W, 'materialised W');
});

test('automatic bounders for input splitting: symbolic without a tight bounder beyond 20,000 hidden neurons, crown + alpha below', async () => {
  const { resolveBounders, HUGE_NET_NEURONS } = await import('../src/engine/options.js');
  const rng = makeRng(3);
  const small = randomNet(rng, [5, 50, 50, 2]);
  const huge = randomNet(rng, [5, HUGE_NET_NEURONS + 1, 2]);
  const auto = { bounder: 'auto', tightBounder: 'auto' } as const;
  assert.deepEqual(resolveBounders(auto, 'input', small), { bounder: 'crown', tight: 'alpha' });
  assert.deepEqual(resolveBounders(auto, 'input', huge), { bounder: 'symbolic', tight: undefined });
  assert.deepEqual(resolveBounders(auto, 'relu', huge), { bounder: 'beta', tight: undefined });
  assert.deepEqual(resolveBounders({ bounder: 'crown', tightBounder: 'alpha' }, 'input', huge), { bounder: 'crown', tight: 'alpha' });
});
