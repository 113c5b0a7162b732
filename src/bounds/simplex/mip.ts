/**
 * Exact minimum of one output row over an input set: the Big-M MILP of
 * mip.ts with the simplex rows of planet-lp.ts (the oracle of the simplex
 * tests). Its Big-M constants come from interval bounds on the set's
 * bounding box, computed by highs-model.ts, so the oracle shares no code
 * with the bounders it judges. The returned point is projected back into
 * the set and evaluated by an exact forward pass: `valueAtX` is a true
 * value of the network on the set, which every valid lower bound must not
 * exceed.
 */
import { forward, type LayeredNet } from '../../network/layered.js';
import { boundingBox, generatorCount, pointAt, type SimplexSet } from '../../problem/input-set.js';
import { createModel, encodeNet, getHighs, intervalBounds, lastPostCols } from '../highs-model.js';
import { linkInputSet } from './planet-lp.js';

export interface SetMinimum {
  readonly status: 'optimal' | 'timeout';
  /** MIP objective (the minimum up to the gap when optimal). */
  readonly value: number;
  /** A point of the set and the network's row value there. */
  readonly x: Float64Array;
  readonly valueAtX: number;
}

export async function exactMinimumOverSet(net: LayeredNet, set: SimplexSet, row: number, timeLimit = 60): Promise<SetMinimum> {
  const highs = await getHighs();
  const box = boundingBox(set);
  const { preLower, preUpper } = intervalBounds(net, box.lower, box.upper);
  const enc = encodeNet(net, box.lower, box.upper, preLower, preUpper, 'bigm');
  const z = linkInputSet(enc, set);
  const B = enc.builder;
  const last = net.layers[net.layers.length - 1];
  const prev = lastPostCols(enc);
  for (let i = 0; i < last.inDim; i++) if (prev[i] >= 0) B.colCost[prev[i]] += last.W[row * last.inDim + i];
  B.offset = last.b[row];
  const model = createModel(highs, B, {
    mip_rel_gap: 1e-9,
    mip_abs_gap: 1e-9,
    mip_feasibility_tolerance: 1e-9,
    // As in mip.ts: the sub-MIP heuristics dominate the run time on small models.
    mip_heuristic_run_rins: false,
    mip_heuristic_run_rens: false,
    time_limit: timeLimit,
  });
  try {
    const st = model.run().modelStatus;
    if (st !== 7 && st !== 13) throw new Error(`exactMinimumOverSet: HiGHS model status ${st}`);
    const sol = model.getSolution().colValue;
    // Project z onto r·Δ (solver tolerances), then x into the clip box (moves towards x0 for ℓ1).
    const m = generatorCount(set);
    const zs = Float64Array.from({ length: m }, (_, j) => Math.max(0, sol[z[j]]));
    const sum = zs.reduce((a, b) => a + b, 0);
    if (sum > set.r) for (let j = 0; j < m; j++) zs[j] *= set.r / sum;
    const x = pointAt(set, zs);
    if (set.clip) for (let i = 0; i < x.length; i++) x[i] = Math.min(set.clip.upper[i], Math.max(set.clip.lower[i], x[i]));
    return { status: st === 7 ? 'optimal' : 'timeout', value: model.getObjectiveValue(), x, valueAtX: forward(net, x)[row] };
  } finally {
    model.dispose();
  }
}
