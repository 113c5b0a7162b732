/**
 * The two hints branch and bound gives its bounders: `activeRows` (spend the
 * iterations on the rows still needed) and `freshFrom` (skip re-bounding
 * layers a ReLU-split child shares with its parent). Both must leave the
 * needed bounds exactly as they are without the hint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alphaBetaCrown, bounderByName, crown, type BounderName } from '../src/bounds/index.js';
import type { DomainBatch } from '../src/bounds/types.js';
import { batchOf, makeRng, randomCase, randomSplits, sampleStats } from './helpers/random-net.js';

const caseOf = (seed: number) => randomCase(seed, { widthSpread: 9, outputSpread: 4, identityEvery: 5, minBoxWidth: 0.5 });

/** Relative closeness: the same computation on differently shaped batches may round differently. */
function close(a: number, b: number, what: string): void {
  if (a === b) return;
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)), `${what}: ${a} vs ${b}`);
}

for (const name of ['alpha', 'beta', 'bigm', 'activeset', 'bddplus'] as BounderName[]) {
  test(`activeRows (${name}): needed rows as without the hint, the others keep a valid cheaper bound`, async () => {
    const bounder = bounderByName(name, 'bab');
    let restricted = 0;
    let looserElsewhere = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const { net, boxes } = caseOf(seed);
      const m = net.outputDim;
      const rng = makeRng(seed * 7 + 1);
      const splits = name === 'beta' ? await Promise.all(boxes.map((b) => randomSplits(net, b.lower, b.upper, 2, rng))) : undefined;
      const extra: Partial<DomainBatch> = splits
        ? { splits: net.layers.slice(0, -1).map((l, k) => {
            const a = new Int8Array(boxes.length * l.outDim);
            splits.forEach((s, b) => a.set(s[k], b * l.outDim));
            return a;
          }) }
        : {};
      const full = await bounder.bound(net, batchOf(boxes, extra));
      const activeRows = new Uint8Array(boxes.length * m);
      for (let i = 0; i < activeRows.length; i++) activeRows[i] = rng() < 0.4 ? 1 : 0;
      activeRows[0] = 1;
      const part = await bounder.bound(net, batchOf(boxes, { ...extra, activeRows }));
      const cheap = await crown().bound(net, batchOf(boxes, extra));
      for (let b = 0; b < boxes.length; b++) {
        const st = sampleStats(net, boxes[b].lower, boxes[b].upper, 2000, rng);
        for (let r = 0; r < m; r++) {
          const i = b * m + r;
          if (activeRows[i]) {
            close(part.rowLower[i], full.rowLower[i], `seed ${seed} domain ${b} row ${r}`);
            restricted++;
          } else {
            // Not optimised: CROWN's bound (still valid).
            assert.ok(part.rowLower[i] <= full.rowLower[i] + 1e-9, `seed ${seed} inactive row above the full bound`);
            if (!splits) {
              assert.ok(part.rowLower[i] <= st.min[r] + 1e-9, `seed ${seed} inactive row above the sampled minimum`);
              close(part.rowLower[i], cheap.rowLower[i], `seed ${seed} inactive row = CROWN`);
            }
            if (part.rowLower[i] < full.rowLower[i] - 1e-6) looserElsewhere++;
          }
        }
      }
    }
    assert.ok(restricted > 20, `only ${restricted} rows checked`);
    // The hint must actually save work: some inactive rows were left at the cheaper bound.
    assert.ok(looserElsewhere > 0, 'no inactive row was left unoptimised');
  });
}

test('freshFrom: a ReLU-split child skips the layers it shares with its parent and gets the same bounds', async () => {
  let compared = 0;
  for (let seed = 11; seed <= 18; seed++) {
    const { net, boxes } = caseOf(seed);
    const H = net.layers.length - 1;
    const box = boxes[seed % boxes.length];
    const parent = await crown().bound(net, { size: 1, lower: box.lower, upper: box.upper });
    for (let s = 0; s < H; s++) {
      const n = net.layers[s].outDim;
      let j = -1;
      for (let q = 0; q < n; q++) if (!net.layers[s].identity?.[q] && parent.preLower[s][q] < 0 && parent.preUpper[s][q] > 0) j = q;
      if (j < 0) continue;
      for (const sign of [1, -1]) {
        const splits = net.layers.slice(0, H).map((l) => new Int8Array(l.outDim));
        splits[s][j] = sign;
        const child: DomainBatch = { size: 1, lower: box.lower, upper: box.upper, splits, preLower: parent.preLower, preUpper: parent.preUpper };
        const all = await crown().bound(net, child);
        const skip = await crown().bound(net, { ...child, freshFrom: Int32Array.of(s + 1) });
        for (let r = 0; r < net.outputDim; r++) close(skip.rowLower[r], all.rowLower[r], `seed ${seed} split ${s}:${j}${sign} row ${r}`);
        for (let k = 0; k < H; k++) {
          for (let q = 0; q < net.layers[k].outDim; q++) {
            close(skip.preLower[k][q], all.preLower[k][q], `seed ${seed} layer ${k} lower`);
            close(skip.preUpper[k][q], all.preUpper[k][q], `seed ${seed} layer ${k} upper`);
          }
        }
        compared++;
      }
    }
  }
  assert.ok(compared >= 10, `only ${compared} children compared`);
});

test('warmStart: any starting values give valid bounds (projected), a parent optimum starts children ahead of CROWN', async () => {
  let checked = 0;
  let warmSum = 0;
  let coldSum = 0;
  for (let seed = 21; seed <= 28; seed++) {
    const { net, boxes } = caseOf(seed);
    const H = net.layers.length - 1;
    const m = net.outputDim;
    const rng = makeRng(seed);
    for (const box of boxes.slice(0, 2)) {
      const splits = await randomSplits(net, box.lower, box.upper, 2, rng);
      const domain: DomainBatch = { size: 1, lower: box.lower, upper: box.upper, splits };
      const st = sampleStats(net, box.lower, box.upper, 4000, rng, splits);
      // Garbage warm starts: out of range, negative, NaN.
      const garbage = net.layers.slice(0, H).map((l) => Float32Array.from({ length: m * l.outDim }, () => (rng() < 0.1 ? NaN : 4 * rng() - 2)));
      const res = await bounderByName('beta', 'bab').bound(net, { ...domain, warmStart: garbage });
      for (let r = 0; r < m && st.kept > 0; r++) {
        assert.ok(res.rowLower[r] <= st.min[r] + 1e-9, `seed ${seed} row ${r}: ${res.rowLower[r]} > sampled ${st.min[r]}`);
        checked++;
      }
      // Round trip: the parent's last iterate as the start of a one-iterate run.
      const parent = await bounderByName('beta', 'bab').bound(net, domain);
      assert.ok(parent.dual && parent.dual.length === H, 'beta reports its dual parameters');
      const warm = await alphaBetaCrown({ iterations: 1, alphaIterations: 0 }).bound(net, { ...domain, warmStart: parent.dual });
      const cold = await alphaBetaCrown({ iterations: 1, alphaIterations: 0 }).bound(net, domain);
      for (let r = 0; r < m; r++) {
        if (!Number.isFinite(cold.rowLower[r])) continue;
        assert.ok(warm.rowLower[r] <= parent.rowLower[r] + 1e-5 * Math.max(1, Math.abs(parent.rowLower[r])), `one warm iterate (float32 start) above the best of the full run: ${warm.rowLower[r]} > ${parent.rowLower[r]}`);
        if (st.kept > 0) assert.ok(warm.rowLower[r] <= st.min[r] + 1e-9, 'warm bound valid');
        warmSum += warm.rowLower[r];
        coldSum += cold.rowLower[r];
      }
    }
  }
  assert.ok(checked > 40, `only ${checked} rows checked`);
  assert.ok(warmSum > coldSum + 0.1, `warm start gave no head start: ${warmSum} vs cold ${coldSum}`);
});
