/**
 * Input-domain splitting for low-dimensional inputs (ACAS Xu): bisect the
 * dimension with the largest |coefficient| x width in the linear lower bound
 * of the row being improved; that is the dimension whose variation the
 * relaxation pays most for. Without linear bounds, the widest dimension
 * relative to the root box.
 */
export function chooseInputDimension(
  lower: Float64Array,
  upper: Float64Array,
  rootWidth: Float64Array,
  linearA: Float64Array | null,
  row: number,
): number {
  const n = lower.length;
  let best = 0;
  let bestScore = -1;
  for (let i = 0; i < n; i++) {
    const w = upper[i] - lower[i];
    if (w <= 0) continue;
    const score = linearA ? Math.abs(linearA[row * n + i]) * w : w / (rootWidth[i] || 1);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  if (bestScore <= 0 && linearA) return chooseInputDimension(lower, upper, rootWidth, null, row);
  return best;
}
