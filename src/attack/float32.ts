/**
 * The ONNX models run in float32: a counterexample we report must be a
 * float32 vector inside the box, or the model that checks it sees another
 * point. Rounding can step outside the box, so step back by one ulp.
 */
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
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    let v = Math.fround(Math.min(upper[i], Math.max(lower[i], x[i])));
    if (v < lower[i]) v = nextFloat32(v, true);
    if (v > upper[i]) v = nextFloat32(v, false);
    if (v < lower[i] || v > upper[i]) return null;
    out[i] = v;
  }
  return out;
}
