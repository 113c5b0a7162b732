import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bounderByName } from '../src/bounds/index.js';
import { pooledBounder } from '../src/bounds/pool.js';
import { batchOf, makeRng, randomBox, randomNet } from './helpers/random-net.js';

test('a batch bounded on two threads gives the bounds of one thread', async () => {
  const rng = makeRng(5);
  const net = randomNet(rng, [5, 20, 20, 3]);
  const B = 100;
  const batch = batchOf(Array.from({ length: B }, () => randomBox(rng, 5, 0.5)));
  // The dual solvers run with their branch-and-bound budgets, as pooled bounders do.
  for (const name of ['crown', 'symbolic', 'bigm', 'activeset', 'bddplus'] as const) {
    const pool = pooledBounder(name, 2, 'bab');
    try {
      // Before its worker is ready the pool bounds on the calling thread: wait, so that the slices are split.
      await pool.started();
      const one = await bounderByName(name, 'bab').bound(net, batch);
      const two = await pool.bound(net, batch);
      assert.equal(two.rowLower.length, one.rowLower.length);
      // Adam normalises gradients, so rounding noise of a different batch
      // composition changes the dual solvers' path slightly (every iterate is
      // still a valid bound); linear bound propagation is deterministic.
      const tol = name === 'crown' || name === 'symbolic' ? 1e-9 : 2e-2;
      one.rowLower.forEach((v, i) => assert.ok(Math.abs(v - two.rowLower[i]) <= tol * (1 + Math.abs(v)), `${name} row ${i}: ${v} vs ${two.rowLower[i]}`));
      one.preLower.forEach((a, k) => a.forEach((v, i) => assert.ok(Math.abs(v - two.preLower[k][i]) <= 1e-9 * (1 + Math.abs(v)))));
      assert.equal(two.linear?.A.length, one.linear?.A.length);
    } finally {
      await pool.close();
    }
  }
});
