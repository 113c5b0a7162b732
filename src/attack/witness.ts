/**
 * The lowest-objective float64 point the solver has seen, across attacks,
 * relaxation minimisers, descents and leaf LPs/MIPs.
 *
 * It enforces the witness invariant: `unsat` is impossible while a point
 * with objective <= 0 is held. Such a point and a proof of positivity
 * cannot both be right, so their coexistence is an internal inconsistency:
 * logged at error level, counted, and fatal where TSVERIFY_STRICT_WITNESS=1
 * (the test suite and the soundness harness set it).
 */
export class Witness {
  /** Objective (min over disjuncts of max over rows) at `x`; Infinity until a point is noted. */
  value = Infinity;
  x: Float64Array | null = null;
  /** Canonical box of `x`. */
  box = -1;
  /** Which part of the solver found it (for the log). */
  source = '';
  /** Inconsistencies found so far (an unsat claimed while holding a violating point). */
  inconsistencies = 0;

  /**
   * `inRegion(box, x)` says whether x lies in box's region where that is more
   * than its box (constraints over several inputs): points of the box outside
   * the region are not the property's, and are not held.
   */
  constructor(private readonly inRegion?: (box: number, x: ArrayLike<number>) => boolean) {}

  note(box: number, value: number, x: ArrayLike<number> | null, source: string): void {
    if (!(value < this.value) || !x || x.length === 0) return;
    if (this.inRegion && !this.inRegion(box, x)) return;
    this.value = value;
    this.x = Float64Array.from(x);
    this.box = box;
    this.source = source;
  }

  /** True when the held point violates the property in float64. */
  get violating(): boolean {
    return this.value <= 0;
  }
}

/** Thrown instead of answering when TSVERIFY_STRICT_WITNESS=1 and the witness invariant would be broken. */
export class InconsistencyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InconsistencyError';
  }
}

export function strictWitness(): boolean {
  return process.env.TSVERIFY_STRICT_WITNESS === '1';
}
