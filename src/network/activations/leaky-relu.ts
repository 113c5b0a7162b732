import type { Activation, RelaxLines } from './activation.js';

/**
 * x for x >= 0, a·x below (ONNX LeakyRelu, default a = 0.01). Convex when
 * a <= 1: the chord is the upper line and the lower line is one of the two
 * pieces (the one closer to the chord, as CROWN chooses for ReLU); concave
 * when a > 1, with the roles swapped.
 */
export function leakyRelu(a: number): Activation {
  const f = (x: number) => (x >= 0 ? x : a * x);
  const lowerOf = (l: number, u: number) => Math.min(f(l), f(u), l < 0 && u > 0 ? 0 : Infinity);
  const upperOf = (l: number, u: number) => Math.max(f(l), f(u));
  return {
    key: `leaky_relu(${a})`,
    evaluate: f,
    derivative: (x) => (x >= 0 ? 1 : a),
    lowerOf,
    upperOf,
    isLinearOn: (l, u) => l >= 0 || u <= 0,
    splitPoint: (l, u) => (l < 0 && u > 0 ? 0 : NaN),
    relax(l: number, u: number, out: RelaxLines): void {
      if (l >= 0 || u <= 0) {
        const k = l >= 0 ? 1 : a;
        out.lowSlope = k;
        out.upSlope = k;
        out.lowIntercept = 0;
        out.upIntercept = 0;
        return;
      }
      if (!Number.isFinite(l) || !Number.isFinite(u)) {
        out.lowSlope = 0;
        out.lowIntercept = lowerOf(l, u);
        out.upSlope = 0;
        out.upIntercept = upperOf(l, u);
        return;
      }
      const k = (u - a * l) / (u - l);
      const c = a * l - k * l;
      // Chord through (l, a l) and (u, u); the rounding of k and c is covered by a relative slack.
      const eps = 1e-12 * (Math.abs(c) + Math.abs(k) * Math.max(-l, u));
      const piece = u >= -l ? 1 : a;
      if (a <= 1) {
        out.upSlope = k;
        out.upIntercept = c + eps;
        out.lowSlope = piece;
        out.lowIntercept = 0;
      } else {
        out.lowSlope = k;
        out.lowIntercept = c - eps;
        out.upSlope = piece;
        out.upIntercept = 0;
      }
    },
  };
}
