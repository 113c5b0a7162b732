/**
 * SLIDE (sparse l1 descent, Tramèr and Boneh 2019; thesis §5.3): counterexample
 * search in an l1 ball. Each step moves along the sign of the gradient on the
 * coordinates whose gradient magnitude is in the top `q` fraction only (an l1
 * step spends its budget on few coordinates), then returns to the ball
 * (projection of the offset onto the l1 ball, Duchi et al. 2008) and to the
 * clip box (which holds the centre, so clipping only shrinks the offset).
 */
import { backwardBatch, forwardBatch } from '../network/batch.js';
import type { LayeredNet } from '../network/layered.js';

export interface SlideOptions {
  readonly eps: number;
  readonly clip?: { readonly lower: Float64Array; readonly upper: Float64Array };
  readonly steps?: number;
  /** Fraction of coordinates moved per step (default 0.01, at least one). */
  readonly q?: number;
  readonly deadline?: number;
}

/** The offset d projected onto {|d|_1 <= eps}, in place (soft-thresholding at the right level). */
export function projectL1(d: Float64Array, eps: number): void {
  let norm = 0;
  for (const v of d) norm += Math.abs(v);
  if (norm <= eps) return;
  const a = Float64Array.from(d, Math.abs).sort().reverse();
  let cum = 0;
  let theta = 0;
  for (let k = 0; k < a.length; k++) {
    cum += a[k];
    const t = (cum - eps) / (k + 1);
    if (k + 1 === a.length || a[k + 1] <= t) {
      theta = t;
      break;
    }
  }
  for (let i = 0; i < d.length; i++) d[i] = Math.sign(d[i]) * Math.max(0, Math.abs(d[i]) - theta);
}

/**
 * Minimises min_r g_r(x) (the net's output rows; a value <= 0 is a
 * candidate counterexample) over the l1 ball of radius eps around x0.
 * Returns the best point seen and its value (float64, our network).
 */
export async function slideAttack(net: LayeredNet, x0: Float64Array, o: SlideOptions): Promise<{ x: Float64Array; value: number }> {
  const n = x0.length;
  const m = net.outputDim;
  const steps = o.steps ?? 100;
  const k = Math.max(1, Math.round((o.q ?? 0.01) * n));
  let x = Float64Array.from(x0);
  let best = { x: Float64Array.from(x0), value: Infinity };
  for (let it = 0; it <= steps; it++) {
    if (o.deadline !== undefined && performance.now() > o.deadline) break;
    const fwd = await forwardBatch(net, x, 1);
    let r = 0;
    for (let j = 1; j < m; j++) if (fwd.output[j] < fwd.output[r]) r = j;
    const value = fwd.output[r];
    if (value < best.value) best = { x: Float64Array.from(x), value };
    if (value <= 0 || it === steps) break;
    const G = new Float64Array(m);
    G[r] = 1;
    const g = await backwardBatch(net, fwd, G, 1);
    // The k coordinates of largest |gradient| move by the step, against the gradient's sign.
    const order = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]) - Math.abs(g[a]));
    const step = (o.eps * 2) / (1 + it / 10);
    const d = Float64Array.from(x, (v, i) => v - x0[i]);
    for (const i of order.slice(0, k)) if (g[i] !== 0) d[i] -= (Math.sign(g[i]) * step) / k;
    projectL1(d, o.eps);
    x = Float64Array.from(d, (v, i) => {
      const y = x0[i] + v;
      return o.clip ? Math.min(o.clip.upper[i], Math.max(o.clip.lower[i], y)) : y;
    });
  }
  return best;
}
