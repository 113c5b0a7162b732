/**
 * One elementwise activation function, as every bounder, forward pass and
 * attack sees it. A new activation is one file implementing this interface
 * plus one line in `registry.ts`; no algorithm tests for an activation's name
 * (the model is auto_LiRPA's activation_base: a subclass writes its relaxation).
 *
 * Soundness contract of `relax`: for every x in [l, u] (l <= u, both finite),
 *   lowSlope·x + lowIntercept <= f(x) <= upSlope·x + upIntercept
 * holds in exact arithmetic for the float64 numbers written, i.e. an
 * implementation computing its lines in floating point widens them by its
 * own rounding error.
 */
export interface RelaxLines {
  lowSlope: number;
  lowIntercept: number;
  upSlope: number;
  upIntercept: number;
}

export interface Activation {
  /** Registry key, including parameters (e.g. 'leaky_relu(0.01)'); equal keys mean the same function. */
  readonly key: string;
  /**
   * Set only where the function is exactly max(x, 0) or x: the encodings that
   * know only ReLU networks (LP, MIP, the dual solvers, the LP leaves of branch and bound) accept a network
   * whose every activation says which one it is.
   */
  readonly piecewiseLinear?: 'relu' | 'identity';
  /** f(x) in float64. Must agree with the ONNX operator. */
  evaluate(x: number): number;
  /** A (sub)gradient at x for attacks; functions with zero gradient almost everywhere give a surrogate (e.g. Sign: straight-through). */
  derivative(x: number): number;
  /** Set when `derivative` is a surrogate: gradient attacks are unreliable, and a black-box search runs too. */
  readonly surrogateGradient?: boolean;
  /** Sound lower/upper bounds of f over [l, u] (outward-safe). */
  lowerOf(l: number, u: number): number;
  upperOf(l: number, u: number): number;
  /** Linear relaxation on [l, u], written into `out` (see the soundness contract above). */
  relax(l: number, u: number, out: RelaxLines): void;
  /** True when f is affine on [l, u]: the relaxation is exact and the neuron is never split there. */
  isLinearOn(l: number, u: number): boolean;
  /**
   * Where branch and bound splits a neuron that is not linear on [l, u]:
   * a point strictly inside (l, u). Splits are pre-activation constraints
   * xhat <= s / xhat >= s; today's domains record only s = 0 (sign splits),
   * so activations return 0 when 0 is inside and NaN when they cannot be split.
   */
  splitPoint(l: number, u: number): number;
}
