/**
 * Filtered smart branching (De Palma et al. 2021; alpha-beta-CROWN's
 * "kfsb"): BaBSR's few best candidates per domain (by score and by
 * intercept) are each judged by the bounds their two children would get,
 * and the candidate whose children gain most over the parent's bound wins
 * (the sum of both gains: on MNIST 256x4 the worse child's gain alone chose
 * splits that moved neither child much, and left twice the open mass of
 * BaBSR after 60 s; the sum left slightly less than BaBSR). BaBSR's score only
 * estimates a split's effect from the neuron's own relaxation term; the
 * children's bounds see how fixing it moves every earlier layer's terms.
 *
 * A child's bound here is one backward pass of the domain's target row with
 * everything else kept from the parent: its intermediate bounds (with the
 * candidate clamped to its side), the slopes and split multipliers its own
 * bounding optimised for that row (BoundResult.dual), no re-optimisation.
 * All (domain, candidate, side) triples of a batch go through one pass per
 * chunk, so the cost is a few rows per domain beside the dozens of rows
 * times iterations of the domain's own bounding. Only a heuristic: nothing
 * here is used as a bound.
 */
import { backwardPass, relaxLayer, type LayerRelax } from '../../bounds/crown.js';
import type { LayeredNet } from '../../network/layered.js';
import type { Domain } from '../domain.js';
import { babsrRanked, type ReluChoice } from './babsr.js';
import type { ReluBranchingRule } from './relu-rule.js';

/**
 * Candidates per domain from each of BaBSR's two rankings (alpha-beta-CROWN's default is 3). 6 measured against 3,
 * interleaved at 60 s (open mass left): oval21 cifar_base img8194 0.011 -> 0.0006, img6767 0.027 -> 0.013, cifar_deep
 * img4405 1.0 both; MNIST 256x4 prop_5_0.05 0.136 -> 0.103, prop_12_0.05 0.986 -> 0.975, prop_0_0.05 0.085 both.
 * The children's passes are a small part of a batch's time, so the domain counts stayed within noise.
 */
export const FSB_CANDIDATES = 6;

/** True for networks whose hidden neurons are all ReLUs or identities: the ones the children's pass relaxes. */
export function fsbApplies(net: LayeredNet): boolean {
  return net.layers.slice(0, -1).every((l) => !l.act);
}

/** Pseudo-domains (domain, candidate, side) per backward pass: bounds the temporaries to a few tens of MiB. */
const CHUNK_TRIPLES = 256;

/**
 * The branching choice per domain; `rows[b]` is the output row domain b's
 * branching should improve. Domains without candidates get BaBSR's choice.
 */
export async function fsbChoose(
  net: LayeredNet,
  domains: readonly Domain[],
  preLower: Float64Array[],
  preUpper: Float64Array[],
  rows: Int32Array,
  k = FSB_CANDIDATES,
): Promise<(ReluChoice | null)[]> {
  const B = domains.length;
  const parentLb = Float64Array.from(domains, (d, b) => d.rowLower[rows[b]]);
  const { choices, candidates } = await babsrRanked(net, B, preLower, preUpper, rows, k);
  const triples: { b: number; c: ReluChoice; sign: 1 | -1 }[] = [];
  for (let b = 0; b < B; b++) {
    if (candidates[b].length < 2) continue;
    for (const c of candidates[b]) for (const sign of [1, -1] as const) triples.push({ b, c, sign });
  }
  const lb = new Float64Array(triples.length);
  for (let t0 = 0; t0 < triples.length; t0 += CHUNK_TRIPLES) {
    const chunk = triples.slice(t0, t0 + CHUNK_TRIPLES);
    lb.set(await fsbChildBounds(net, domains, rows, chunk), t0);
  }
  // Per domain: the candidate whose children gain most over the parent's bound (a child keeps at least its
  // parent's bound: with the parent's slopes fixed, an estimate below it only means the slopes no longer fit).
  const best = new Map<number, { gain: number; c: ReluChoice }>();
  for (let t = 0; t < triples.length; t += 2) {
    const { b, c } = triples[t];
    const parent = parentLb[b];
    const g1 = Math.max(lb[t], parent) - parent;
    const g2 = Math.max(lb[t + 1], parent) - parent;
    const gain = g1 + g2;
    const cur = best.get(b);
    if (!cur || gain > cur.gain) best.set(b, { gain, c });
  }
  return choices.map((c, b) => best.get(b)?.c ?? c);
}

/** The target row's bound on each (domain, candidate, side) child: one backward pass with the parent's relaxation. */
export async function fsbChildBounds(
  net: LayeredNet,
  domains: readonly Domain[],
  rows: Int32Array,
  triples: readonly { b: number; c: ReluChoice; sign: 1 | -1 }[],
): Promise<Float64Array> {
  const P = triples.length;
  const H = net.layers.length - 1;
  const n0 = net.inputDim;
  const relax: LayerRelax[] = [];
  const rowAlpha: Float64Array[] = [];
  const omegaShift: Float64Array[] = [];
  for (let k = 0; k < H; k++) {
    const n = net.layers[k].outDim;
    const lo = new Float64Array(P * n);
    const hi = new Float64Array(P * n);
    triples.forEach(({ b, c, sign }, q) => {
      lo.set(domains[b].preLower![k], q * n);
      hi.set(domains[b].preUpper![k], q * n);
      if (c.layer === k) {
        const i = q * n + c.neuron;
        if (sign > 0) lo[i] = Math.max(lo[i], 0);
        else hi[i] = Math.min(hi[i], 0);
      }
    });
    const rx = relaxLayer(lo, hi, P, n, net.layers[k], 'adaptive');
    relax.push(rx);
    // The parent's optimised slopes of the target row on neurons still ambiguous, the relaxation's elsewhere.
    const alpha = rx.lowSlope.slice();
    const shift = new Float64Array(P * n);
    triples.forEach(({ b }, q) => {
      const dual = domains[b].dual?.[k];
      if (!dual) return;
      const off = rows[b] * n;
      const split = domains[b].splits?.[k];
      for (let j = 0; j < n; j++) {
        const v = dual[off + j];
        if (Number.isNaN(v)) return; // the row was not optimised: the relaxation's own slopes
        const i = q * n + j;
        if (rx.ambiguous[i]) alpha[i] = Math.min(1, Math.max(0, v));
        else if (split && split[j] !== 0) shift[i] = split[j] * Math.max(0, v);
      }
    });
    rowAlpha.push(alpha);
    omegaShift.push(shift);
  }
  const last = net.layers[H];
  const nIn = last.inDim;
  const Lam = new Float64Array(P * nIn);
  const c0 = new Float64Array(P);
  const lower = new Float64Array(P * n0);
  const upper = new Float64Array(P * n0);
  triples.forEach(({ b }, q) => {
    Lam.set(last.W.subarray(rows[b] * nIn, (rows[b] + 1) * nIn), q * nIn);
    c0[q] = last.b[rows[b]];
    lower.set(domains[b].lower, q * n0);
    upper.set(domains[b].upper, q * n0);
  });
  const res = await backwardPass(net, relax, H - 1, Lam, c0, Int32Array.from({ length: P }, (_, q) => q), lower, upper, {
    rowAlpha,
    omegaShift,
    needA: false,
  });
  // A child whose clamp empties a neuron's interval cannot exist: it would be closed outright.
  const out = Float64Array.from(res.lb);
  triples.forEach(({ b, c, sign }, q) => {
    const l = domains[b].preLower![c.layer][c.neuron];
    const u = domains[b].preUpper![c.layer][c.neuron];
    if ((sign > 0 && u < 0) || (sign < 0 && l > 0)) out[q] = Infinity;
    if (Number.isNaN(out[q])) out[q] = -Infinity;
  });
  return out;
}

/** Filtered smart branching as a branching rule. */
export const fsb: ReluBranchingRule = {
  name: 'fsb',
  applies: fsbApplies,
  choose: (net, parents, preLower, preUpper, rows) => fsbChoose(net, parents, preLower, preUpper, rows),
};
