/**
 * beta-CROWN (Wang et al. 2021): alpha-CROWN plus Lagrange multipliers for
 * the ReLU split constraints of branch and bound.
 *
 * A domain's split s_j = +1 / -1 on neuron j of hidden layer k is the
 * constraint s_j * xhat_{k,j} >= 0. CROWN and alpha-CROWN only use it to
 * clamp the neuron's pre-activation bounds; the constraint never restricts
 * the input, so bounds improve little with depth. With beta_j >= 0,
 *
 *   LB(alpha, beta) = min_x [ g(x) - sum_j beta_j s_j xhat_j(x) ]   (over the relaxation)
 *
 * is a valid lower bound of g on the split sub-domain for every alpha in
 * [0,1] and beta >= 0 (weak duality: the subtracted terms are >= 0 there).
 * In the backward pass this adds -beta_j s_j to the coefficient Omega_j on
 * xhat_j of each split neuron (after the relaxation of x_k, before crossing
 * W_k backward); the constant picks up -beta_j s_j b_j.
 *
 * Gradient (envelope theorem, as for alpha): the bound is the linear
 * function of the chosen relaxation evaluated at the concretising input x0*,
 * so dLB/dbeta_j = -s_j * xhat~_j, xhat~ being the chosen relaxation's
 * pre-activation at x0* (computed by the same forward pass as alpha's slope
 * gradients). alpha and beta are optimised jointly by projected Adam
 * (beta >= 0) from beta = 0, so the first iterate is CROWN's bound; every
 * iterate is valid and the best per row is kept.
 *
 * Parametrisation: one beta per (output-pass row, split neuron), like alpha.
 * Intermediate bounds are CROWN's (no beta there). The `linear` bounds of the
 * result include the beta terms: A_r·x + c_r <= g_r(x) only at inputs x that
 * satisfy the domain's splits (and lie in its box).
 */
import type { LayeredNet } from '../network/layered.js';
import { takeRows } from '../tensor/arrays.js';
import { optimiseSlopes, pickIndices, projectedAdamStep, type AlphaOptions, type SlopeLoopExtension } from './alpha.js';
import { backwardPass, batchRowSlots, crownPass, restrictRows, slotIndex, type CrownState } from './crown.js';
import type { Bounder, BoundOptions, BoundResult, DomainBatch } from './types.js';

export interface BetaOptions extends AlphaOptions {
  /** Initial learning rate of the split multipliers (default 0.1); decays like alpha's. */
  readonly betaLr?: number;
  /**
   * alpha-only iterations before the joint alpha-beta phase of `iterations`
   * (default: alpha-CROWN's 20, so the bound is never below alpha-CROWN's
   * with default options; 0 = joint from the start, cheaper). A batch with
   * a warm start (a parent's slopes and multipliers) goes joint at once: on
   * MNIST 256x2/256x4 instances, 0 + 20 warm iterations took half the time
   * of 20 + 20 for about as many domains.
   */
  readonly alphaIterations?: number;
}

/**
 * Split multipliers of the output pass: per hidden layer, sb[k] (R x n_k)
 * holds s_j * beta_j for split neurons (0 elsewhere), and the flat indices
 * r*n_k + j of the split (row, neuron) pairs with their signs.
 */
interface SplitMultipliers {
  readonly sb: (Float64Array | undefined)[];
  readonly beta: (Float64Array | undefined)[];
  readonly idx: Int32Array[];
  readonly sign: Int8Array[];
  readonly count: number;
}

/** beta = 0 multipliers for the split neurons of every output-pass row (identity neurons ignore splits). */
function splitMultipliers(net: LayeredNet, batch: DomainBatch, rowDomain: Int32Array): SplitMultipliers {
  const H = net.layers.length - 1;
  const R = rowDomain.length;
  const sb: (Float64Array | undefined)[] = [];
  const beta: (Float64Array | undefined)[] = [];
  const idx: Int32Array[] = [];
  const sign: Int8Array[] = [];
  let count = 0;
  for (let k = 0; k < H; k++) {
    const n = net.layers[k].outDim;
    const id = net.layers[k].identity;
    const sp = batch.splits?.[k];
    let cnt = 0;
    if (sp) {
      for (let r = 0; r < R; r++) {
        const boff = rowDomain[r] * n;
        for (let j = 0; j < n; j++) if (sp[boff + j] !== 0 && !(id && id[j])) cnt++;
      }
    }
    const ix = new Int32Array(cnt);
    const sg = new Int8Array(cnt);
    if (sp && cnt > 0) {
      for (let r = 0, q = 0; r < R; r++) {
        const boff = rowDomain[r] * n;
        for (let j = 0; j < n; j++) {
          const s = sp[boff + j];
          if (s !== 0 && !(id && id[j])) {
            ix[q] = r * n + j;
            sg[q++] = s > 0 ? 1 : -1;
          }
        }
      }
    }
    idx.push(ix);
    sign.push(sg);
    sb.push(cnt > 0 ? new Float64Array(R * n) : undefined);
    beta.push(cnt > 0 ? new Float64Array(R * n) : undefined);
    count += cnt;
  }
  return { sb, beta, idx, sign, count };
}

/** The beta loop extension of optimiseSlopes for one CROWN state. */
function betaExtension(
  net: LayeredNet,
  batch: DomainBatch,
  st: CrownState,
  options: BetaOptions,
): SlopeLoopExtension {
  const H = net.layers.length - 1;
  const rowDomain = st.outRowDomain;
  let mult = splitMultipliers(net, batch, rowDomain);
  // Warm start: a parent's multipliers on the splits it shares (projected onto beta >= 0).
  if (batch.warmStart) {
    const slot = batchRowSlots(st, net.outputDim);
    for (let k = 0; k < H; k++) {
      const b = mult.beta[k];
      const warm = batch.warmStart[k];
      if (!b || !warm) continue;
      const n = net.layers[k].outDim;
      const s = mult.sb[k]!;
      mult.idx[k].forEach((i, q) => {
        const w = warm[slotIndex(slot, n, i)];
        if (w > 0) {
          b[i] = w;
          s[i] = mult.sign[k][q] * w;
        }
      });
    }
  }
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const decay = options.lrDecay ?? 0.98;
  let lr = options.betaLr ?? 0.1;
  let grad: (Float64Array | undefined)[] = mult.beta.map((b) => (b ? new Float64Array(b.length) : undefined));
  let mAdam: (Float64Array | undefined)[] = mult.beta.map((b) => (b ? new Float64Array(b.length) : undefined));
  let vAdam: (Float64Array | undefined)[] = mult.beta.map((b) => (b ? new Float64Array(b.length) : undefined));
  return {
    get params() {
      return mult.beta;
    },
    get paramIdx() {
      return mult.idx;
    },
    active: mult.count > 0,
    warmup: batch.warmStart ? 0 : (options.alphaIterations ?? 20),
    backward: (rowAlpha, lambdaBuffers, rows, ends, argmin, outA) =>
      // The split terms enter as Omega_k -= beta_j s_j on each split neuron.
      backwardPass(net, st.relax, H - 1, rows.outLam, rows.outC0, rows.rowDomain, batch.lower, batch.upper, {
        rowAlpha,
        omegaShift: mult.sb,
        keepLambdas: true,
        lambdaBuffers,
        ends,
        argmin,
        outA,
      }),
    compact(keep, R) {
      const pick = (arrs: (Float64Array | undefined)[]) => arrs.map((a, k) => (a ? takeRows(a, net.layers[k].outDim, keep) : undefined));
      const picked = mult.idx.map((idx, k) => pickIndices(idx, net.layers[k].outDim, keep, R));
      mult = {
        sb: pick(mult.sb),
        beta: pick(mult.beta),
        idx: picked.map((p) => p.idx),
        sign: picked.map((p, k) => Int8Array.from(p.at, (q) => mult.sign[k][q])),
        count: picked.reduce((c, p) => c + p.idx.length, 0),
      };
      grad = pick(grad);
      mAdam = pick(mAdam);
      vAdam = pick(vAdam);
    },
    step(pre, it) {
      const bc1 = 1 - Math.pow(beta1, it);
      const bc2 = 1 - Math.pow(beta2, it);
      for (let k = 0; k < H; k++) {
        const b = mult.beta[k];
        if (!b) continue;
        const ix = mult.idx[k];
        const sg = mult.sign[k];
        const g = grad[k]!;
        const z = pre[k];
        // dLB/dbeta_j = -s_j * xhat~_j.
        for (let q = 0; q < ix.length; q++) g[ix[q]] = -sg[q] * z[ix[q]];
        projectedAdamStep(b, g, mAdam[k]!, vAdam[k]!, ix, lr, beta1, beta2, bc1, bc2, 0, Infinity);
        const s = mult.sb[k]!;
        for (let q = 0; q < ix.length; q++) s[ix[q]] = sg[q] * b[ix[q]];
      }
      lr *= decay;
    },
  };
}

/**
 * alpha-beta-CROWN bounder: alpha-CROWN's slopes and the split multipliers
 * optimised jointly on the output rows (default 20 iterations). Without
 * splits it computes exactly alpha-CROWN's bounds.
 */
export function alphaBetaCrown(options: BetaOptions = {}): Bounder {
  return {
    name: 'beta',
    async bound(net: LayeredNet, batch: DomainBatch, bopts?: BoundOptions): Promise<BoundResult> {
      const st = restrictRows(await crownPass(net, batch, options), batch, net.outputDim);
      return optimiseSlopes(net, batch, st, options, bopts, betaExtension(net, batch, st, options));
    },
  };
}
