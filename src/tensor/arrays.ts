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

/** Rows `rows[i]` of an R x n row-major array, stacked in that order (a subset, a reordering or repeats). */
export function takeRows(a: Float64Array, n: number, rows: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows.length * n);
  // Single entries (per-row constants and bounds) by index: a subarray view per entry costs more than the copy.
  if (n === 1) {
    for (let i = 0; i < rows.length; i++) out[i] = a[rows[i]];
    return out;
  }
  for (let i = 0; i < rows.length; i++) out.set(a.subarray(rows[i] * n, (rows[i] + 1) * n), i * n);
  return out;
}

/**
 * In place: [lower, upper] ∩ [otherLower, otherUpper], entry by entry (the first `lower.length` entries of the
 * others). A NaN in the others compares false and leaves the entry as it was (no information).
 */
export function intersectBounds(lower: Float64Array, upper: Float64Array, otherLower: ArrayLike<number>, otherUpper: ArrayLike<number>): void {
  for (let j = 0; j < lower.length; j++) {
    if (otherLower[j] > lower[j]) lower[j] = otherLower[j];
    if (otherUpper[j] < upper[j]) upper[j] = otherUpper[j];
  }
}
