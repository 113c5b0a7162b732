/**
 * Exact arithmetic on float64 values: every finite double is m·2^e, so sums
 * of products of doubles are exact as BigInt numerators over a common power
 * of two. For checks that must not round (a counterexample's input
 * constraints).
 */

/** x = m · 2^e with integer m (x finite). */
function decompose(x: number): { m: bigint; e: number } {
  if (x === 0) return { m: 0n, e: 0 };
  let e = 0;
  while (!Number.isInteger(x)) {
    x *= 2;
    e--;
  }
  return { m: BigInt(x), e };
}

/** Exact sign test of a sum of dyadic terms m·2^e: over the common power of two, the numerators are BigInts. */
function sumAtMostZero(terms: readonly { m: bigint; e: number }[]): boolean {
  const e0 = Math.min(...terms.map((t) => t.e));
  let sum = 0n;
  for (const t of terms) sum += t.m << BigInt(t.e - e0);
  return sum <= 0n;
}

/** True when sum_i coef[i]·x[i] <= rhs holds exactly (all values finite doubles). */
export function exactLinearLeq(coef: ArrayLike<number>, x: ArrayLike<number>, rhs: number): boolean {
  const terms: { m: bigint; e: number }[] = [];
  for (let i = 0; i < coef.length; i++) {
    if (coef[i] === 0 || x[i] === 0) continue;
    if (!Number.isFinite(coef[i]) || !Number.isFinite(x[i])) return false;
    const a = decompose(coef[i]);
    const b = decompose(x[i]);
    terms.push({ m: a.m * b.m, e: a.e + b.e });
  }
  if (!Number.isFinite(rhs)) return rhs === Infinity;
  const r = decompose(rhs);
  terms.push({ m: -r.m, e: r.e });
  return sumAtMostZero(terms);
}

/** True when sum_i |x[i] - c[i]| <= eps holds exactly (all values finite doubles). */
export function exactL1Leq(x: ArrayLike<number>, c: ArrayLike<number>, eps: number): boolean {
  if (!Number.isFinite(eps)) return eps === Infinity;
  const terms: { m: bigint; e: number }[] = [];
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(c[i])) return false;
    if (x[i] === c[i]) continue;
    // |x - c| = s·x - s·c with s the sign of the difference (compared exactly as doubles).
    const s = x[i] > c[i] ? 1n : -1n;
    const a = decompose(x[i]);
    const b = decompose(c[i]);
    terms.push({ m: s * a.m, e: a.e }, { m: -s * b.m, e: b.e });
  }
  const r = decompose(eps);
  terms.push({ m: -r.m, e: r.e });
  return sumAtMostZero(terms);
}
