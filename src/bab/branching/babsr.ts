import type { RelaxLines } from '../../network/activations/activation.js';
import type { LayeredNet } from '../../network/layered.js';
import { backwardProduct } from '../../network/linear.js';
import type { ReluBranchingRule } from './relu-rule.js';

export interface ReluChoice {
  readonly layer: number;
  readonly neuron: number;
}

/**
 * BaBSR (Bunel et al. 2020; ALGORITHMS.md §5.2): estimate, for every
 * ambiguous ReLU, how much the bound of the target row would move if the
 * neuron were fixed, using one KW-slope backward pass per domain (batched:
 * one product per layer for all domains).
 *
 * Neurons of other activations (sigmoid, sign, ...) that can still be split
 * are scored by |lambda| times the vertical gap of their relaxation at the
 * split point, and crossed backward with the slope of the line lambda picks.
 *
 * preLower/preUpper: per hidden layer, B x n_k bounds (splits already applied).
 * rows: per domain, the output row to improve.
 */
const lines: RelaxLines = { lowSlope: 0, lowIntercept: 0, upSlope: 0, upIntercept: 0 };

export async function babsrChoose(
  net: LayeredNet,
  B: number,
  preLower: Float64Array[],
  preUpper: Float64Array[],
  rows: Int32Array,
): Promise<(ReluChoice | null)[]> {
  return (await babsrRanked(net, B, preLower, preUpper, rows, 0)).choices;
}

/** Keeps the k best (score, choice) pairs of one domain, best first (k is small: a sorted insert). */
class TopK {
  private readonly scores: number[] = [];
  readonly items: ReluChoice[] = [];
  constructor(private readonly k: number) {}
  offer(score: number, item: ReluChoice): void {
    if (this.k === 0 || !(score > 0) || (this.scores.length === this.k && score <= this.scores[this.k - 1])) return;
    let i = this.scores.length;
    while (i > 0 && this.scores[i - 1] < score) i--;
    this.scores.splice(i, 0, score);
    this.items.splice(i, 0, item);
    this.scores.length = this.items.length = Math.min(this.k, this.scores.length);
  }
}

/**
 * BaBSR's choice per domain and, with k > 0, its k best ReLU candidates by
 * score and the k best by intercept |t| (the candidates filtered smart
 * branching evaluates), without duplicates, best first.
 */
export async function babsrRanked(
  net: LayeredNet,
  B: number,
  preLower: Float64Array[],
  preUpper: Float64Array[],
  rows: Int32Array,
  k: number,
): Promise<{ choices: (ReluChoice | null)[]; candidates: ReluChoice[][] }> {
  const byScore = Array.from({ length: B }, () => new TopK(k));
  const byT = Array.from({ length: B }, () => new TopK(k));
  const L = net.layers.length;
  const last = net.layers[L - 1];
  const bestScore = new Float64Array(B).fill(-1);
  const bestChoice: (ReluChoice | null)[] = new Array(B).fill(null);
  const bestT = new Float64Array(B).fill(0);
  const tChoice: (ReluChoice | null)[] = new Array(B).fill(null);
  const anyChoice: (ReluChoice | null)[] = new Array(B).fill(null);

  // Lambda: B x n_h coefficients on the post-activation x_h.
  let n = last.inDim;
  let lambda: Float64Array = new Float64Array(B * n);
  for (let b = 0; b < B; b++) lambda.set(last.W.subarray(rows[b] * n, (rows[b] + 1) * n), b * n);

  for (let h = L - 2; h >= 0; h--) {
    const layer = net.layers[h];
    const lo = preLower[h];
    const up = preUpper[h];
    const omega = new Float64Array(B * n);
    const act = layer.act;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < n; j++) {
        const k = b * n + j;
        const l = lo[k];
        const u = up[k];
        const lam = lambda[k];
        const general = act && !act.kinds[act.kindOf[j]].piecewiseLinear ? act.kinds[act.kindOf[j]] : undefined;
        if (general) {
          general.relax(l, u, lines);
          omega[k] = lam * (lam >= 0 ? lines.lowSlope : lines.upSlope);
          const sp = general.splitPoint(l, u);
          if (Number.isNaN(sp)) continue;
          const gap = lines.upSlope * sp + lines.upIntercept - (lines.lowSlope * sp + lines.lowIntercept);
          const score = Math.abs(lam) * gap;
          const choice = { layer: h, neuron: j };
          if (score > bestScore[b]) {
            bestScore[b] = score;
            bestChoice[b] = choice;
          }
          anyChoice[b] ??= choice;
          continue;
        }
        if (layer.identity && layer.identity[j]) {
          omega[k] = lam;
          continue;
        }
        if (l >= 0) {
          omega[k] = lam;
          continue;
        }
        if (u <= 0) continue;
        const s = u / (u - l);
        omega[k] = s * lam;
        const bias = layer.b[j];
        const t = Math.min(lam, 0) * ((-l * u) / (u - l));
        const beta = Math.max(bias * lam * (s - 1), bias * lam * s);
        const score = Math.abs(beta + t);
        const choice = { layer: h, neuron: j };
        if (score > bestScore[b]) {
          bestScore[b] = score;
          bestChoice[b] = choice;
        }
        byScore[b].offer(score, choice);
        byT[b].offer(-t, choice);
        if (t < bestT[b]) {
          bestT[b] = t;
          tChoice[b] = choice;
        }
        anyChoice[b] ??= choice; // later layers are visited first
      }
    }
    if (h > 0) lambda = await backwardProduct(layer, omega, B);
    n = layer.inDim;
  }
  const choices = bestChoice.map((c, b) => {
    if (c && bestScore[b] > 1e-3) return c;
    if (tChoice[b] && bestT[b] < -1e-4) return tChoice[b];
    return anyChoice[b];
  });
  const candidates = byScore.map((top, b) => {
    const list = [...top.items];
    for (const c of byT[b].items) if (!list.some((d) => d.layer === c.layer && d.neuron === c.neuron)) list.push(c);
    return list;
  });
  return { choices, candidates };
}

/** BaBSR as a branching rule: it scores every activation kind. */
export const babsr: ReluBranchingRule = {
  name: 'babsr',
  applies: () => true,
  choose: (net, parents, preLower, preUpper, rows) => babsrChoose(net, parents.length, preLower, preUpper, rows),
};
