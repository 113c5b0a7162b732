import type { Activation, RelaxLines } from './activation.js';

/**
 * max(x, 0). Upper line: the chord; lower line: the adaptive CROWN choice
 * (slope 1 when u >= -l, else 0), which alpha-CROWN optimises in [0, 1].
 */
export const relu: Activation = {
  key: 'relu',
  piecewiseLinear: 'relu',
  evaluate: (x) => (x > 0 ? x : 0),
  derivative: (x) => (x > 0 ? 1 : 0),
  lowerOf: (l) => (l > 0 ? l : 0),
  upperOf: (_l, u) => (u > 0 ? u : 0),
  relax(l: number, u: number, out: RelaxLines): void {
    out.lowIntercept = 0;
    if (l >= 0) {
      out.lowSlope = 1;
      out.upSlope = 1;
      out.upIntercept = 0;
    } else if (u <= 0) {
      out.lowSlope = 0;
      out.upSlope = 0;
      out.upIntercept = 0;
    } else if (!Number.isFinite(l) || !Number.isFinite(u)) {
      // Unbounded: the chord degenerates; the constant max(u, 0) and 0 remain valid.
      out.lowSlope = 0;
      out.upSlope = 0;
      out.upIntercept = u;
    } else {
      const s = u / (u - l);
      out.upSlope = s;
      out.upIntercept = -s * l;
      out.lowSlope = u >= -l ? 1 : 0;
    }
  },
  isLinearOn: (l, u) => l >= 0 || u <= 0,
  splitPoint: (l, u) => (l < 0 && u > 0 ? 0 : NaN),
};
