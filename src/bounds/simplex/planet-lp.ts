/**
 * Exact LPs over an input set with HiGHS (issue 16, 2c): the Planet LP
 * over the simplex ("Gurobi Planet" of [Th3] Table 3.1) and, with
 * `hull: true`, relaxation (3.5) ("Gurobi Simplex"): Planet plus every
 * ambiguous neuron's hull upper bound (Theorem 2) and the propagated
 * simplex constraints sum(x_k) <= alpha_k (3.5e).
 *
 * The model is highs-model.ts's encoding over the set's bounding box plus
 * the simplex coordinates: columns z_j in [0, cap_j], rows
 * x - M z = x0 and sum(z) <= r. Bounds come from the row duals through
 * `safeDualBound`, as in lp.ts, so solver tolerances cannot make them
 * unsound. Pre-activation bounds are the shared ones (context.ts).
 */
import type { LayeredNet } from '../../network/layered.js';
import { generatorCount, zCap, type InputSet } from '../../problem/input-set.js';
import {
  affineObjective,
  createModel,
  encodeNet,
  getHighs,
  lastPostCols,
  safeDualBound,
  setObjective,
  type NetEncoding,
  type Relaxation,
} from '../highs-model.js';
import type { Bounder, BoundOptions, BoundResult, DomainBatch } from '../types.js';
import { perDomain, type SimplexRelaxation } from './context.js';

export interface SetEncoding extends NetEncoding {
  /** Columns of the simplex coordinates z (empty for a box). */
  readonly simplexCols: Int32Array;
}

/** x = x0 + M z, z >= 0, sum z <= r, added to an encoding whose input columns hold x. */
export function linkInputSet(enc: NetEncoding, set: InputSet): Int32Array {
  if (set.kind === 'box') return new Int32Array(0);
  const B = enc.builder;
  const m = generatorCount(set);
  const n0 = set.x0.length;
  const z = Int32Array.from({ length: m }, (_, j) => B.addCol(0, zCap(set, j)));
  const g = set.generators;
  for (let i = 0; i < n0; i++) {
    const idx = [enc.inputCols[i]];
    const vals = [1];
    if (g.kind === 'signed-identity') {
      idx.push(z[2 * i], z[2 * i + 1]);
      vals.push(-1, 1);
    } else {
      for (let j = 0; j < m; j++) {
        const v = g.M[i * m + j];
        if (v === 0) continue;
        idx.push(z[j]);
        vals.push(-v);
      }
    }
    B.addRow(set.x0[i], set.x0[i], idx, vals);
  }
  B.addRow(-Infinity, set.r, Array.from(z), new Array(m).fill(1));
  return z;
}

/** The network over the set: Planet (or Big-M) on the shared bounds, optionally with the rows of (3.5d-e). */
export function encodeOverSet(net: LayeredNet, ctx: SimplexRelaxation, relaxation: Relaxation, hull: boolean): SetEncoding {
  const preLower = ctx.relax.map((r) => r.lower);
  const preUpper = ctx.relax.map((r) => r.upper);
  const enc = encodeNet(net, ctx.box.lower, ctx.box.upper, preLower, preUpper, relaxation);
  const simplexCols = linkInputSet(enc, ctx.set);
  if (hull) {
    const B = enc.builder;
    for (let k = 0; k < ctx.hull.length; k++) {
      const post = enc.postCols[k];
      if (Number.isFinite(ctx.alpha[k])) {
        const cols = Array.from(post).filter((c) => c >= 0);
        // A passing column may be shared with xhat; distinct columns only.
        if (cols.length) B.addRow(-Infinity, ctx.alpha[k], [...new Set(cols)], new Array(new Set(cols).size).fill(1));
      }
      const h = ctx.hull[k];
      if (!h) continue;
      const u = k === 0 ? simplexCols : enc.postCols[k - 1];
      for (let j = 0; j < post.length; j++) {
        const q = h.rowOf[j];
        if (q < 0 || post[j] < 0) continue;
        // x_j - V_j·u <= relu(b^u_j); u entries that are the constant 0 drop out.
        const idx = [post[j]];
        const vals = [1];
        for (let p = h.ptr[q]; p < h.ptr[q + 1]; p++) {
          const col = u[h.col[p]];
          if (col < 0) continue;
          idx.push(col);
          vals.push(-h.val[p]);
        }
        B.addRow(-Infinity, h.base[j], idx, vals);
      }
    }
  }
  return { ...enc, simplexCols };
}

export interface SetLpOptions {
  /** Add the hull rows and simplex constraints: relaxation (3.5). Default false (Planet). */
  readonly hull?: boolean;
  /** Wall-clock seconds for all rows of one domain; rows not reached keep -Infinity. */
  readonly timeLimit?: number;
  /**
   * Per output row, a threshold: stop after the first row whose bound is
   * at most its threshold (the property fails there; the rows left keep
   * -Infinity). For verified-or-not runs.
   */
  readonly stopAtOrBelow?: ArrayLike<number>;
}

export interface SetLpResult {
  readonly rowLower: Float64Array;
  /**
   * 'timeout' when a limit stopped some row (its bound is then the dual bound
   * so far, or -Infinity); 'inexact' when IPM ended without converging
   * (HiGHS status unknown) on some row: its bound is still valid (weak
   * duality), only maybe below the LP optimum.
   */
  readonly status: 'optimal' | 'inexact' | 'timeout' | 'error';
  /** With 'error': HiGHS's model status or exception, for the report. */
  readonly detail?: string;
}

/** Rigorous lower bound of every output row over the LP relaxation of `net` on the set of `ctx`. */
export async function setLp(net: LayeredNet, ctx: SimplexRelaxation, options: SetLpOptions = {}): Promise<SetLpResult> {
  const highs = await getHighs();
  const m = net.outputDim;
  const rowLower = new Float64Array(m).fill(-Infinity);
  const enc = encodeOverSet(net, ctx, 'planet', options.hull ?? false);
  if (enc.emptyBounds) return { rowLower, status: 'error' };
  const last = net.layers[net.layers.length - 1];
  const prevCols = lastPostCols(enc);
  const start = performance.now();
  // Interior point without crossover: on OVAL-Base over an ℓ1 ball (13k
  // columns, 6k of them z) HiGHS's dual simplex had not finished one row
  // after 100 s, with or without presolve; IPM solved it in 1.6 s, but its
  // crossover ran past 60 s on another image that IPM alone solved in 3.1 s.
  // The bound needs no basis: safeDualBound is rigorous for any duals.
  const model = createModel(highs, enc.builder, { solver: 'ipm', run_crossover: 'off' });
  let status: SetLpResult['status'] = 'optimal';
  let detail: string | undefined;
  try {
    for (let o = 0; o < m; o++) {
      const { cost, offset } = affineObjective(enc.builder.numCols, prevCols, last.W, last.b, last.inDim, o);
      setObjective(model, cost, offset);
      if (options.timeLimit !== undefined) {
        const left = options.timeLimit - (performance.now() - start) / 1000;
        if (left <= 0) {
          status = 'timeout';
          break;
        }
        model.options.set('time_limit', left);
      }
      let st: number;
      try {
        st = model.run().modelStatus;
      } catch (e) {
        status = 'error';
        detail = `row ${o}: ${(e as Error).message}`;
        continue;
      }
      // 7 optimal; 13/14/17 time or iteration limit, interrupted, 15 unknown
      // (IPM not converged): the duals so far still give a valid bound.
      if (st === 15) {
        if (status === 'optimal') status = 'inexact';
        const sol = model.getSolution();
        rowLower[o] = safeDualBound(enc.builder, cost, offset, sol.rowDual);
        if (options.stopAtOrBelow && rowLower[o] <= options.stopAtOrBelow[o]) break;
        continue;
      }
      if (st !== 7 && st !== 13 && st !== 14 && st !== 17) {
        status = 'error';
        detail = `row ${o}: HiGHS model status ${st}`;
        continue;
      }
      if (st !== 7) status = 'timeout';
      const sol = model.getSolution();
      rowLower[o] = safeDualBound(enc.builder, cost, offset, sol.rowDual);
      if (st !== 7) break;
      if (options.stopAtOrBelow && rowLower[o] <= options.stopAtOrBelow[o]) break;
    }
  } finally {
    model.dispose();
  }
  return { rowLower, status, ...(detail ? { detail } : {}) };
}

export function setLpBounder(options: SetLpOptions = {}): Bounder {
  return {
    name: options.hull ? 'simplex-lp' : 'simplex-planet-lp',
    bound(net: LayeredNet, batch: DomainBatch, _bopts?: BoundOptions): Promise<BoundResult> {
      const n0 = net.inputDim;
      return perDomain(net, batch, 'simplex LP', async (ctx) => ({
        rowLower: (await setLp(net, ctx, options)).rowLower,
        // The LP gives no linear bound in x: the trivial one (A = 0, c = -Infinity) is valid.
        A: new Float64Array(net.outputDim * n0),
        c: new Float64Array(net.outputDim).fill(-Infinity),
      }));
    },
  };
}
