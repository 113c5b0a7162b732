import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crown } from '../src/bounds/crown.js';
import { exactMinimum } from '../src/bounds/mip.js';
import { optimisedIntermediates } from '../src/bounds/root-intermediates.js';
import { foldOutputRows, type LayeredNet } from '../src/network/layered.js';
import { makeRng, randomBox, randomNet } from './helpers/random-net.js';

/** The network cut after hidden layer k, its outputs the pre-activations of that layer. */
function cutAt(net: LayeredNet, k: number): LayeredNet {
  return { ...net, outputDim: net.layers[k].outDim, layers: net.layers.slice(0, k + 1) };
}

/** Exact min of s·x_kj over the box (the MIP on the cut network with one row). */
async function exactPre(net: LayeredNet, k: number, j: number, s: 1 | -1, lower: Float64Array, upper: Float64Array): Promise<number> {
  const n = net.layers[k].outDim;
  const C = new Float64Array(n);
  C[j] = s;
  const res = await exactMinimum(foldOutputRows(cutAt(net, k), C, new Float64Array(1)), lower, upper, [0]);
  assert.equal(res.status, 'optimal');
  return s * res.value;
}

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
