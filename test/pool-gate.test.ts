import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NativeGate } from '../src/util/native-gate.js';
import { pooledBounder } from '../src/bounds/pool.js';
import { batchOf, makeRng, randomBox, randomNet } from './helpers/random-net.js';

test('a bounding pool closed while its worker still starts leaves no call counted in the native gate', async () => {
  // A short run: the search ends (and closes the pool) before the worker has loaded its bounder. Terminating the
  // worker then must not leave a call counted as in flight, or the verdict's process waits out the gate's limit.
  const gate = new NativeGate();
  const rng = makeRng(3);
  const net = randomNet(rng, [5, 20, 20, 3]);
  // Large enough to be split (two slices of 32), so that the first call starts the worker.
  const B = 64;
  const batch = batchOf(Array.from({ length: B }, () => randomBox(rng, 5, 0.5)));
  // The worker is caught at different points of its start-up.
  for (const delayMs of [0, 25, 50, 75, 100, 150, 200, 300]) {
    const pool = pooledBounder('crown', 2, 'bab');
    // The first call starts the worker; with the worker not ready it is bounded on this thread.
    const res = await pool.bound(net, batch);
    assert.equal(res.rowLower.length, 3 * B);
    await new Promise((r) => setTimeout(r, delayMs));
    await pool.close();
    assert.equal(gate.inFlight, 0, `closed ${delayMs} ms after the start: no call counted in flight`);
  }
  assert.equal(await gate.close(3000), true, 'the gate closes: nothing counted in flight');
});
