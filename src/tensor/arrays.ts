/** Concatenate typed arrays (e.g. per-domain vectors into one stacked batch array). */
export function concat(parts: readonly Float64Array[]): Float64Array;
export function concat(parts: readonly Float32Array[]): Float32Array;
export function concat(parts: readonly (Float64Array | Float32Array)[]): Float64Array | Float32Array {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = parts[0] instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
