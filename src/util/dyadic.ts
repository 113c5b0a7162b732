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
  const e0 = Math.min(...terms.map((t) => t.e));
  let s = 0n;
  for (const t of terms) s += t.m << BigInt(t.e - e0);
  return s <= 0n;
}
