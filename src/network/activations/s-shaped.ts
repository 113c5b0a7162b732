/**
 * Relaxations of S-shaped functions: increasing, convex below 0 and concave
 * above 0 (sigmoid, tanh). Lines as in CROWN / auto_LiRPA's s_shaped:
 *  - [l, u] inside one side: the chord on the side where it is a bound, a
 *    tangent at the midpoint on the other;
 *  - l < 0 < u: the upper line is the tangent at the point d in [0, u] whose
 *    tangent passes through (l, f(l)) when such d exists, else the chord;
 *    the lower line symmetrically (tangent at d' in [l, 0] through (u, f(u))).
 * Tangent points are found by bisection and taken on the valid side of the
 * bracket; every line is finally widened by a rounding slack, and very narrow
 * or unbounded intervals get constant lines (a chord's slope there is noise).
 */
import type { Activation, RelaxLines } from './activation.js';

export interface SShape {
  readonly key: string;
  readonly f: (x: number) => number;
  readonly df: (x: number) => number;
  /** Limits of f at -inf and +inf. */
  readonly low: number;
  readonly high: number;
}

const BISECTIONS = 60;
/** Relative slack added to every line: far above float64 rounding of exp/tanh and the line arithmetic. */
const SLACK = 1e-12;

function slack(slope: number, intercept: number, l: number, u: number): number {
  return SLACK * (1 + Math.abs(intercept) + Math.abs(slope) * Math.max(Math.abs(l), Math.abs(u)));
}

export function sShaped(s: SShape): Activation {
  const { f, df } = s;
  // Monotone: interval ends are images of the ends, widened by one part in 1e15 for exp's rounding.
  const down = (v: number) => v - 1e-15 * (1 + Math.abs(v));
  const up = (v: number) => v + 1e-15 * (1 + Math.abs(v));
  const lowerOf = (l: number, _u: number) => (l === -Infinity ? s.low : Math.max(s.low, down(f(l))));
  const upperOf = (_l: number, u: number) => (u === Infinity ? s.high : Math.min(s.high, up(f(u))));
  const tangent = (d: number): [number, number] => {
    const k = df(d);
    return [k, f(d) - k * d];
  };
  return {
    key: s.key,
    evaluate: f,
    derivative: df,
    lowerOf,
    upperOf,
    isLinearOn: (l, u) => l === u,
    // Not split: a split at 0 (the only split point domains record today)
    // leaves a convex and a concave piece with a gap as wide as before, and
    // splitting every S-shaped neuron of a layer is exponential for little
    // gain (measured: a tanh 4-12-12-2 net timed out at 30 s that input
    // bisection proves in under a second). Branch and bound bisects the input.
    splitPoint: () => NaN,
    relax(l: number, u: number, out: RelaxLines): void {
      const lo = lowerOf(l, u);
      const hi = upperOf(l, u);
      if (!Number.isFinite(l) || !Number.isFinite(u) || u - l <= 1e-7 * (1 + Math.abs(l) + Math.abs(u))) {
        out.lowSlope = 0;
        out.lowIntercept = lo;
        out.upSlope = 0;
        out.upIntercept = hi;
        return;
      }
      const fl = f(l);
      const fu = f(u);
      const chordK = (fu - fl) / (u - l);
      const chordB = fl - chordK * l;
      let low: [number, number];
      let upp: [number, number];
      if (u <= 0) {
        upp = [chordK, chordB];
        low = tangent(0.5 * (l + u));
      } else if (l >= 0) {
        low = [chordK, chordB];
        upp = tangent(0.5 * (l + u));
      } else {
        // Upper: the tangent at d in [0, u] through (l, f(l)); valid for any d >= d*.
        const tu = tangent(u);
        if (tu[0] * l + tu[1] >= fl) {
          let a = 0;
          let b = u;
          for (let i = 0; i < BISECTIONS; i++) {
            const m = 0.5 * (a + b);
            const t = tangent(m);
            if (t[0] * l + t[1] >= fl) b = m;
            else a = m;
          }
          upp = tangent(b);
        } else {
          upp = [chordK, chordB];
        }
        // Lower: the tangent at d' in [l, 0] through (u, f(u)); valid for any d' <= d'*.
        const tl = tangent(l);
        if (tl[0] * u + tl[1] <= fu) {
          let a = l;
          let b = 0;
          for (let i = 0; i < BISECTIONS; i++) {
            const m = 0.5 * (a + b);
            const t = tangent(m);
            if (t[0] * u + t[1] <= fu) a = m;
            else b = m;
          }
          low = tangent(a);
        } else {
          low = [chordK, chordB];
        }
      }
      out.lowSlope = low[0];
      out.lowIntercept = low[1] - slack(low[0], low[1], l, u);
      out.upSlope = upp[0];
      out.upIntercept = upp[1] + slack(upp[0], upp[1], l, u);
      // Never looser than the constant bounds: where a line is worse than the constant everywhere on [l, u], use the constant.
      if (Math.max(out.lowSlope * l, out.lowSlope * u) + out.lowIntercept < lo) {
        out.lowSlope = 0;
        out.lowIntercept = lo;
      }
      if (Math.min(out.upSlope * l, out.upSlope * u) + out.upIntercept > hi) {
        out.upSlope = 0;
        out.upIntercept = hi;
      }
    },
  };
}
