/**
 * Input boxes for the soundness fuzzer. The bugs of issue 11 came from boxes
 * whose fixed dimensions are float64 values no float32 can hold, so every box
 * mixes varying dimensions with fixed ones of these kinds:
 *
 * - `degenerate64`: lower == upper, a float64 value that is not a float32
 *   (like -0.42244523149053587): the box holds no float32 point at all;
 * - `degenerate32`: lower == upper, a float32 value;
 * - `subulp-none`: width under one float32 ulp, strictly between two float32s;
 * - `subulp-one`: width under one float32 ulp, holding exactly one float32.
 */

export type DimKind = 'normal' | 'degenerate64' | 'degenerate32' | 'subulp-none' | 'subulp-one';

/**
 * Which fixed kinds a box draws from: `float64` boxes hold no float32 point
 * (no counterexample can be confirmed on the float32 model inside them),
 * `float32` boxes hold float32 points in every dimension, `mixed` draws all.
 */
export type BoxStyle = 'float64' | 'float32' | 'mixed';
export const BOX_STYLES: readonly BoxStyle[] = ['float64', 'float32', 'mixed'];

export interface InputBox {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly kinds: readonly DimKind[];
}

const f32 = new Float32Array(1);
const bits = new Int32Array(f32.buffer);

/** The float32 after (up) or before f, f itself a float32. */
export function float32Step(f: number, up: boolean): number {
  f32[0] = f;
  if (f32[0] === 0) {
    bits[0] = up ? 1 : -2147483647;
    return f32[0];
  }
  bits[0] += (f32[0] > 0) === up ? 1 : -1;
  return f32[0];
}

/** Distance from fround(v) to the next float32 away from zero: one ulp at v. */
export function ulp32(v: number): number {
  const f = Math.fround(Math.abs(v));
  return float32Step(f, true) - f;
}

/** A float64 in (-1, 1) using all 53 bits, so it is (almost surely) not a float32. */
export function fullPrecision(rng: () => number): number {
  for (;;) {
    const v = (rng() + rng() * 2 ** -32) * 2 - 1;
    if (Math.fround(v) !== v) return v;
  }
}

function fixedDim(kind: DimKind, rng: () => number): [number, number] {
  const v = fullPrecision(rng);
  const f = Math.fround(v);
  // Quarter and eighth ulps of a float32 are exact in float64 (24 + 3 bits < 53).
  const up = float32Step(f, true) - f;
  const down = f - float32Step(f, false);
  switch (kind) {
    case 'degenerate64':
      return [v, v];
    case 'degenerate32':
      return [f, f];
    case 'subulp-none':
      return [f + 0.25 * up, f + 0.75 * up];
    case 'subulp-one':
      return [f - 0.25 * down, f + 0.375 * up];
    default:
      throw new Error(`not a fixed kind: ${kind}`);
  }
}

const FIXED_KINDS: Record<BoxStyle, readonly DimKind[]> = {
  // Three degenerate dimensions for every sub-ulp one, as in the user's properties.
  float64: ['degenerate64', 'degenerate64', 'degenerate64', 'subulp-none'],
  float32: ['degenerate32', 'degenerate32', 'degenerate32', 'subulp-one'],
  mixed: ['degenerate64', 'degenerate32', 'subulp-none', 'subulp-one'],
};

/**
 * A box over n inputs with `varying` normal dimensions (chosen at random,
 * float64 centres, half-widths 0.01-0.3) and the rest fixed by `style`.
 */
export function randomInputBox(rng: () => number, n: number, varying: number, style: BoxStyle): InputBox {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const vary = new Set(order.slice(0, Math.min(n, varying)));
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  const kinds: DimKind[] = [];
  for (let i = 0; i < n; i++) {
    if (vary.has(i)) {
      const c = fullPrecision(rng) * 0.8;
      const r = 0.01 + 0.29 * rng();
      lower[i] = c - r;
      upper[i] = c + r;
      kinds.push('normal');
    } else {
      const pool = FIXED_KINDS[style];
      const kind = pool[Math.floor(rng() * pool.length)];
      [lower[i], upper[i]] = fixedDim(kind, rng);
      kinds.push(kind);
    }
  }
  return { lower, upper, kinds };
}

/** Does the box hold at least one point the float32 model can be run at? */
export function holdsFloat32Point(box: { lower: ArrayLike<number>; upper: ArrayLike<number> }): boolean {
  for (let i = 0; i < box.lower.length; i++) {
    let f = Math.fround(box.lower[i]);
    if (f < box.lower[i]) f = float32Step(f, true);
    if (f > box.upper[i]) return false;
  }
  return true;
}

/** The box centre (float64, inside the box). */
export function centre(box: { lower: Float64Array; upper: Float64Array }): Float64Array {
  return Float64Array.from(box.lower, (l, i) => l + 0.5 * (box.upper[i] - l));
}
