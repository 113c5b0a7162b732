import type { Activation, RelaxLines } from './activation.js';

/**
 * ONNX Sign: -1, 0, 1 (Sign(0) = 0). Across 0 each bound is either the
 * constant or the line through the far corner, whichever leaves less area
 * (the slope line wins on the side with the shorter reach). For attacks the
 * derivative is a straight-through surrogate (1 near 0), as binarised
 * networks are trained.
 */
export const sign: Activation = {
  key: 'sign',
  surrogateGradient: true,
  evaluate: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN),
  derivative: (x) => (Math.abs(x) <= 1 ? 1 : 0),
  lowerOf: (l) => (l > 0 ? 1 : l < 0 ? -1 : 0),
  upperOf: (_l, u) => (u > 0 ? 1 : u < 0 ? -1 : 0),
  isLinearOn: (l, u) => l > 0 || u < 0 || (l === 0 && u === 0),
  splitPoint: (l, u) => (l < 0 && u > 0 ? 0 : NaN),
  relax(l: number, u: number, out: RelaxLines): void {
    const lo = l > 0 ? 1 : l < 0 ? -1 : 0;
    const hi = u > 0 ? 1 : u < 0 ? -1 : 0;
    out.lowSlope = 0;
    out.lowIntercept = lo;
    out.upSlope = 0;
    out.upIntercept = hi;
    if (!(l < 0 && u > 0) || !Number.isFinite(l) || !Number.isFinite(u)) {
      // On [0, u] (u > 0): f >= x/u, the line through (0, 0) and (u, 1); on [l, 0] symmetric.
      if (l === 0 && u > 0 && Number.isFinite(u)) {
        out.lowSlope = 1 / u;
        out.lowIntercept = -1e-12;
      } else if (u === 0 && l < 0 && Number.isFinite(l)) {
        out.upSlope = -1 / l;
        out.upIntercept = 1e-12;
      }
      return;
    }
    // Lower: -1 + 2x/u (below -1 left of 0, below 1 on (0, u]); upper: 1 - 2x/l.
    if (-l < u) {
      out.lowSlope = 2 / u;
      out.lowIntercept = -1 - 1e-12;
    }
    if (u < -l) {
      out.upSlope = -2 / l;
      out.upIntercept = 1 + 1e-12;
    }
  },
};
