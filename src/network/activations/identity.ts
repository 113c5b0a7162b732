import type { Activation, RelaxLines } from './activation.js';

/** x: neurons that carry a value through a layer (skip connections). Never relaxed, never split. */
export const identity: Activation = {
  key: 'identity',
  piecewiseLinear: 'identity',
  evaluate: (x) => x,
  derivative: () => 1,
  lowerOf: (l) => l,
  upperOf: (_l, u) => u,
  relax(_l: number, _u: number, out: RelaxLines): void {
    out.lowSlope = 1;
    out.lowIntercept = 0;
    out.upSlope = 1;
    out.upIntercept = 0;
  },
  isLinearOn: () => true,
  splitPoint: () => NaN,
};
