/**
 * Opt-LiRPA Planet over an input set ([Th3] Alg. 7, B.4; issue 16, 2b):
 * alpha-CROWN's optimised lower slopes with the Planet upper line, every
 * iterate's input coefficients concretised over the set. The gradient is
 * alpha.ts's (envelope theorem, ALGORITHMS.md §2.5) at the set's
 * concretising point (a vertex of the simplex). Every iterate is a valid
 * bound; each row keeps its best, so the result is never below CROWN's
 * (the first iterate).
 */
import type { LayeredNet } from '../../network/layered.js';
import { argminLinear } from '../../problem/input-set.js';
import { projectedAdamStep, relaxedForwardGrad } from '../alpha.js';
import type { Bounder, BoundOptions, BoundResult, DomainBatch } from '../types.js';
import { boundRows, outputObjective, perDomain, type DomainBound, type SimplexRelaxation } from './context.js';

export interface OptLirpaOptions {
  /** Adam iterations (default 20). */
  readonly iterations?: number;
  /** Initial step (default 0.3, tuned on random nets against the LP), multiplied by lrDecay each iteration (default 0.98). */
  readonly lr?: number;
  readonly lrDecay?: number;
  /** performance.now() after which the best iterate so far is returned. */
  readonly deadline?: number;
}

export async function optLirpaRows(net: LayeredNet, ctx: SimplexRelaxation, options: OptLirpaOptions = {}): Promise<DomainBound> {
  const iterations = Math.max(1, options.iterations ?? 20);
  let lr = options.lr ?? 0.3;
  const decay = options.lrDecay ?? 0.98;
  const deadline = options.deadline ?? Infinity;
  const beta1 = 0.9;
  const beta2 = 0.999;
  const H = net.layers.length - 1;
  const n0 = net.inputDim;
  const { Lam, c0 } = outputObjective(net);
  const R = c0.length;
  const rowDomain = new Int32Array(R);
  const alpha: Float64Array[] = [];
  const ambIdx: Int32Array[] = [];
  const mAdam: Float64Array[] = [];
  const vAdam: Float64Array[] = [];
  const grad: Float64Array[] = [];
  for (let k = 0; k < H; k++) {
    const { n, lowSlope, ambiguous } = ctx.relax[k];
    const a = new Float64Array(R * n);
    const idx: number[] = [];
    for (let r = 0; r < R; r++) {
      a.set(lowSlope, r * n);
      for (let j = 0; j < n; j++) if (ambiguous[j]) idx.push(r * n + j);
    }
    alpha.push(a);
    ambIdx.push(Int32Array.from(idx));
    mAdam.push(new Float64Array(R * n));
    vAdam.push(new Float64Array(R * n));
    grad.push(new Float64Array(R * n));
  }
  let best: DomainBound | undefined;
  const X = new Float64Array(R * n0);
  for (let it = 1; it <= iterations; it++) {
    const bw = await boundRows(net, ctx, H - 1, Lam, c0, { rowAlpha: alpha, keepLambdas: true });
    if (!best) best = { rowLower: Float64Array.from(bw.lb), A: Float64Array.from(bw.A), c: Float64Array.from(bw.c) };
    else {
      for (let r = 0; r < R; r++) {
        if (bw.lb[r] > best.rowLower[r]) {
          best.rowLower[r] = bw.lb[r];
          best.c[r] = bw.c[r];
          best.A.set(bw.A.subarray(r * n0, (r + 1) * n0), r * n0);
        }
      }
    }
    if (it === iterations || H === 0 || performance.now() > deadline) break;
    for (let r = 0; r < R; r++) X.set(argminLinear(ctx.set, bw.A.subarray(r * n0, (r + 1) * n0)), r * n0);
    await relaxedForwardGrad(net, X, R, rowDomain, ctx.relax, alpha, bw.lambdas!, grad);
    const bc1 = 1 - Math.pow(beta1, it);
    const bc2 = 1 - Math.pow(beta2, it);
    for (let k = 0; k < H; k++) projectedAdamStep(alpha[k], grad[k], mAdam[k], vAdam[k], ambIdx[k], lr, beta1, beta2, bc1, bc2, 0, 1);
    lr *= decay;
  }
  return best!;
}

export function optLirpaPlanet(options: OptLirpaOptions = {}): Bounder {
  return {
    name: 'simplex-opt-lirpa',
    bound(net: LayeredNet, batch: DomainBatch, bopts?: BoundOptions): Promise<BoundResult> {
      return perDomain(net, batch, 'simplex-opt-lirpa', (ctx) => optLirpaRows(net, ctx, { ...options, deadline: bopts?.deadline ?? options.deadline }));
    },
  };
}
