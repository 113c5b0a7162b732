/**
 * The ONNX models run in float32: a counterexample we report must be a
 * float32 vector, or the model that checks it sees another point. Rounding
 * can step outside the box, so step back by one ulp.
 *
 * Policy when a coordinate's interval holds no float32 value at all (a
 * degenerate bound such as lower == upper == -0.42244523149053587, or a
 * sub-ulp interval): take the nearest float32 value outside it, which is at
 * most one float32 ulp away, and only if that is within BOX_TOLERANCE of
 * the bound (VNN-COMP replays counterexamples with this absolute tolerance
 * on the box). No float32 model input can do better, and without it such
 * properties could never be answered `sat`. `strict` refuses these points.
 */
export const BOX_TOLERANCE = 1e-4;
const buf = new Float32Array(1);
const bits = new Int32Array(buf.buffer);

function nextFloat32(v: number, up: boolean): number {
  buf[0] = v;
  if (buf[0] === 0) {
    bits[0] = up ? 1 : -2147483647; // smallest subnormal of the right sign
    return buf[0];
  }
  bits[0] += (buf[0] > 0) === up ? 1 : -1;
  return buf[0];
}

/** Round each coordinate to float32, staying within [lower, upper]; null if the box holds no float32 value in some coordinate. */
export function toFloat32InBox(x: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>): Float64Array | null {
  const p = toFloat32Point(x, lower, upper, true);
  return p ? p.x : null;
}

export interface Float32Point {
  /** float32 values (stored as float64). */
  readonly x: Float64Array;
  /** Coordinates whose interval holds no float32 value, set to the nearest one outside. */
  readonly outside: number;
}

/**
 * Round x to a float32 point: inside [lower, upper] where the interval holds
 * a float32 value, else (unless `strict`) the nearest float32 value outside,
 * at most one ulp and BOX_TOLERANCE away. null when no such point exists.
 */
export function toFloat32Point(x: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>, strict: boolean): Float32Point | null {
  const out = new Float64Array(x.length);
  let outside = 0;
  for (let i = 0; i < x.length; i++) {
    const lo = lower[i];
    const hi = upper[i];
    if (!(lo <= hi) || Number.isNaN(x[i])) return null;
    let v = Math.fround(Math.min(hi, Math.max(lo, x[i])));
    if (v < lo) v = nextFloat32(v, true);
    if (v > hi) v = nextFloat32(v, false);
    if (v < lo || v > hi) {
      if (strict) return null;
      const below = Math.fround(lo) < lo ? Math.fround(lo) : nextFloat32(lo, false);
      const above = Math.fround(hi) > hi ? Math.fround(hi) : nextFloat32(hi, true);
      v = lo - below <= above - hi ? below : above;
      if (!(Math.abs(v - lo) <= BOX_TOLERANCE || Math.abs(v - hi) <= BOX_TOLERANCE)) return null;
      outside++;
    }
    out[i] = v;
  }
  return { x: out, outside };
}
