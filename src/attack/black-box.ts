/**
 * Counterexample search on the original model alone (no LayeredNet, no
 * gradients): for networks the bounders cannot take (src/engine/fallback.ts).
 * Points are evaluated many per onnxruntime call (src/onnx/batched.ts); the
 * objective of a point is that of the attacks (src/attack/objective.ts):
 * min over disjuncts of the max over its atoms of coef·y - rhs, unsafe iff <= 0.
 *
 * Per input region, within the deadline:
 *  1. sampling: the centre, random corners and uniform points;
 *  2. local search from the best point; each round is one of
 *     - an SPSA probe: the objective at x ± c·w⊙d for random sign vectors d
 *       gives a gradient estimate, whose signs the next round tries at a
 *       ladder of step sizes (an L∞ sign step, as PGD takes with gradients);
 *     - random search: moves of a random fraction of the coordinates to an
 *       end of their interval (the other end where they sit at one), a
 *       spread of fractions per round, shrinking while nothing improves;
 *     SPSA's share of the rounds follows how often its steps win (they do on
 *     smooth networks, rarely on binarized ones, where the objective is
 *     piecewise constant); after RESTART_AFTER rounds without progress the
 *     search restarts from fresh samples.
 * Every point is a float32 vector in the box (the nearest float32 outside a
 * float32-free interval, as src/attack/float32.ts allows); every point with
 * objective <= 0 goes to `check`, the only source of a counterexample.
 */
import type { BatchedModel } from '../onnx/batched.js';
import type { SpecRegion } from '../vnnlib/types.js';
import { toFloat32Point } from './float32.js';
import { objective } from './objective.js';
import { mulberry32 } from './rng.js';
import type { CheckedCounterexample } from './validate.js';

export interface BlackBoxOptions {
  /** performance.now() by which the search returns. */
  readonly deadline: number;
  readonly seed: number;
  /** No nearest-float32 points outside the box (--strict-box). */
  readonly strictBox: boolean;
  /** Points per round (default: the model's batch, at least 64). */
  readonly batch?: number;
  /** Stop after this many evaluations (tests; default unlimited). */
  readonly maxEvaluations?: number;
}

export interface BlackBoxResult {
  readonly counterexample: CheckedCounterexample | null;
  /** Points evaluated on the batched model. */
  readonly evaluations: number;
  /** Lowest objective seen over all regions (> 0: no candidate). */
  readonly best: number;
  /** Candidates sent to the checker that it did not confirm. */
  readonly rejected: number;
  /** Regions that hold no float32 point (strict box): nothing to search. */
  readonly emptyRegions: number;
}

/** Sizes of random-search moves relative to the current fraction, one per candidate in turn. */
const SPREAD = [4, 2, 1, 1, 0.5, 0.5, 0.25, 0.125];
const INITIAL_FRACTION = 0.1;
/** SPSA probes at x ± SPSA_C · width. */
const SPSA_C = 0.05;
/** Sign steps tried along an SPSA estimate, in widths of the interval. */
const SIGN_STEPS = [1, 0.5, 0.25, 0.1, 0.05, 0.02, 0.01];
/** Rounds without improvement before a restart from fresh samples. */
const RESTART_AFTER = 12;
/** Candidates per round handed to the checker at most (lowest objective first). */
const MAX_CHECKS_PER_ROUND = 4;

/** One region's spec rows (as in src/problem/compile.ts) and search state. */
class RegionSearch {
  readonly n: number;
  readonly rows: number;
  readonly C: Float64Array;
  readonly d: Float64Array;
  readonly rowGroup: Int32Array;
  readonly numDisjuncts: number;
  /** Float32 ends of each coordinate's range. */
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  x: Float64Array;
  value = Infinity;
  /** Fraction of coordinates a random-search mutation moves. */
  fraction = INITIAL_FRACTION;
  stall = 0;
  phase: 'sample' | 'probe' | 'move' = 'sample';
  /** Probability that the next round is an SPSA probe (adapted to how often its steps win). */
  spsaShare = 0.5;
  /** SPSA's gradient estimate from the previous round (sign vector), if any. */
  gradSign: Float64Array | null = null;

  constructor(readonly index: number, region: SpecRegion, m: number, lo: Float64Array, hi: Float64Array) {
    this.n = region.lower.length;
    const atoms = region.disjuncts.flatMap((dj, g) => dj.atoms.map((a) => ({ a, g })));
    const empty = region.disjuncts.map((dj, g) => ({ dj, g })).filter(({ dj }) => dj.atoms.length === 0);
    this.rows = atoms.length + empty.length;
    this.C = new Float64Array(this.rows * m);
    this.d = new Float64Array(this.rows);
    this.rowGroup = new Int32Array(this.rows);
    atoms.forEach(({ a, g }, r) => {
      this.C.set(a.coef, r * m);
      this.d[r] = a.rhs;
      this.rowGroup[r] = g;
    });
    // A disjunct without atoms is reached everywhere: a row identically -1.
    empty.forEach(({ g }, i) => {
      this.d[atoms.length + i] = 1;
      this.rowGroup[atoms.length + i] = g;
    });
    this.numDisjuncts = region.disjuncts.length;
    this.lo = lo;
    this.hi = hi;
    this.x = Float64Array.from(lo, (l, i) => Math.fround(0.5 * (l + hi[i])));
  }

  /** Objective of each of `count` points from the model outputs Y (count x m). */
  values(Y: Float64Array, count: number, m: number): Float64Array {
    const G = new Float64Array(count * this.rows);
    for (let p = 0; p < count; p++) {
      for (let r = 0; r < this.rows; r++) {
        let s = -this.d[r];
        const off = r * m;
        for (let j = 0; j < m; j++) {
          const c = this.C[off + j];
          if (c !== 0) s += c * Y[p * m + j];
        }
        G[p * this.rows + r] = Number.isNaN(s) ? Infinity : s;
      }
    }
    return objective(G, count, this.rows, this.rowGroup, this.numDisjuncts).value;
  }

  /** Coordinate i of a point: clamped to the float32 range and rounded to float32 (stays inside: the ends are float32). */
  put(X: Float64Array, p: number, i: number, v: number): void {
    X[p * this.n + i] = Math.fround(Math.min(this.hi[i], Math.max(this.lo[i], v)));
  }
}

export async function blackBoxSearch(
  regions: readonly SpecRegion[],
  model: BatchedModel,
  check: (region: number, x: Float64Array) => Promise<CheckedCounterexample | null>,
  options: BlackBoxOptions,
): Promise<BlackBoxResult> {
  const rand = mulberry32(options.seed);
  const m = model.outputDim;
  let B = Math.max(16, options.batch ?? Math.max(64, model.maxBatch));
  const maxEval = options.maxEvaluations ?? Infinity;
  let evaluations = 0;
  let rejected = 0;
  let best = Infinity;
  let lastRoundMs = 0;

  const searches: RegionSearch[] = [];
  let emptyRegions = 0;
  regions.forEach((region, k) => {
    const lo = toFloat32Point(region.lower, region.lower, region.upper, options.strictBox);
    const hi = toFloat32Point(region.upper, region.lower, region.upper, options.strictBox);
    if (!lo || !hi) emptyRegions++;
    else searches.push(new RegionSearch(k, region, m, lo.x, hi.x));
  });
  const result = (counterexample: CheckedCounterexample | null): BlackBoxResult => ({ counterexample, evaluations, best, rejected, emptyRegions });
  const timeLeft = () => performance.now() + 1.5 * lastRoundMs < options.deadline && evaluations < maxEval;

  /** Evaluate `count` points of X for region s; check the unsafe ones; returns the objective values. */
  const evaluate = async (s: RegionSearch, X: Float64Array, count: number): Promise<{ v: Float64Array; cex: CheckedCounterexample | null }> => {
    const t0 = performance.now();
    const Y = await model.run(X, count);
    evaluations += count;
    const v = s.values(Y, count, m);
    const unsafe: number[] = [];
    for (let p = 0; p < count; p++) {
      if (v[p] < best) best = v[p];
      if (v[p] <= 0) unsafe.push(p);
    }
    unsafe.sort((a, b) => v[a] - v[b]);
    for (const p of unsafe.slice(0, MAX_CHECKS_PER_ROUND)) {
      const cex = await check(s.index, X.slice(p * s.n, (p + 1) * s.n));
      if (cex) return { v, cex };
      rejected++;
    }
    lastRoundMs = performance.now() - t0;
    return { v, cex: null };
  };

  /** Take the best of the round's points as the incumbent if it improves it. */
  const accept = (s: RegionSearch, X: Float64Array, v: Float64Array, count: number): boolean => {
    let k = -1;
    for (let p = 0; p < count; p++) if (v[p] < (k < 0 ? s.value : v[k])) k = p;
    if (k < 0 || !(v[k] < s.value)) return false;
    s.value = v[k];
    s.x = X.slice(k * s.n, (k + 1) * s.n);
    return true;
  };

  const sample = (s: RegionSearch, X: Float64Array, count: number, first: boolean) => {
    for (let p = 0; p < count; p++) {
      const kind = first && p === 0 ? 'centre' : p % 2 === 0 ? 'corner' : 'uniform';
      for (let i = 0; i < s.n; i++) {
        const u = kind === 'centre' ? 0.5 : kind === 'corner' ? (rand() < 0.5 ? 0 : 1) : rand();
        s.put(X, p, i, s.lo[i] + u * (s.hi[i] - s.lo[i]));
      }
    }
  };

  let round = 0;
  while (searches.length > 0 && timeLeft()) {
    const s = searches[round++ % searches.length];
    const n = s.n;
    // Rounds stay short against the time left (a big network near the deadline gets smaller ones).
    while (B > 16 && 8 * lastRoundMs > options.deadline - performance.now()) {
      B >>= 1;
      lastRoundMs /= 2;
    }
    const X = new Float64Array(B * n);
    if (s.phase === 'sample') {
      sample(s, X, B, s.value === Infinity);
      const { v, cex } = await evaluate(s, X, B);
      if (cex) return result(cex);
      // A restart replaces the incumbent by the best fresh sample.
      s.value = Infinity;
      accept(s, X, v, B);
      s.fraction = INITIAL_FRACTION;
      s.stall = 0;
      s.phase = rand() < s.spsaShare ? 'probe' : 'move';
      continue;
    }
    if (s.phase === 'probe') {
      // SPSA: pairs x ± c·w⊙d; the estimate's signs are tried in the next round.
      const pairs = Math.floor(B / 2);
      const D = new Int8Array(pairs * n);
      for (let q = 0; q < pairs; q++) {
        for (let i = 0; i < n; i++) {
          const sgn = rand() < 0.5 ? -1 : 1;
          D[q * n + i] = sgn;
          const w = s.hi[i] - s.lo[i];
          s.put(X, 2 * q, i, s.x[i] + SPSA_C * w * sgn);
          s.put(X, 2 * q + 1, i, s.x[i] - SPSA_C * w * sgn);
        }
      }
      const { v, cex } = await evaluate(s, X, 2 * pairs);
      if (cex) return result(cex);
      const g = new Float64Array(n);
      for (let q = 0; q < pairs; q++) {
        const diff = v[2 * q] - v[2 * q + 1];
        if (!Number.isFinite(diff) || diff === 0) continue;
        for (let i = 0; i < n; i++) g[i] += diff * D[q * n + i];
      }
      s.stall = accept(s, X, v, 2 * pairs) ? 0 : s.stall + 1;
      s.gradSign = g.some((gi) => gi !== 0) ? g.map(Math.sign) : null;
      s.phase = 'move';
      continue;
    }
    // Move round: sign steps along the SPSA estimate if there is one (a ladder of sizes), the rest random-search moves.
    let p = 0;
    const grad = s.gradSign;
    s.gradSign = null;
    if (grad) {
      for (const step of SIGN_STEPS) {
        for (let i = 0; i < n; i++) s.put(X, p, i, s.x[i] - step * (s.hi[i] - s.lo[i]) * grad[i]);
        p++;
      }
    }
    const firstMove = p;
    const fractions = new Float64Array(B);
    for (; p < B; p++) {
      X.set(s.x, p * n);
      // A spread of sizes around the current fraction; an improving move's size is kept.
      const f = Math.min(0.5, Math.max(1 / n, s.fraction * SPREAD[p % SPREAD.length]));
      fractions[p] = f;
      const moves = Math.max(1, Math.round(f * n));
      for (let k = 0; k < moves; k++) {
        const i = Math.floor(rand() * n);
        const cur = s.x[i];
        // At an end: to the other one; inside: to a random end.
        s.put(X, p, i, cur === s.lo[i] ? s.hi[i] : cur === s.hi[i] ? s.lo[i] : rand() < 0.5 ? s.lo[i] : s.hi[i]);
      }
    }
    const { v, cex } = await evaluate(s, X, B);
    if (cex) return result(cex);
    if (accept(s, X, v, B)) {
      s.stall = 0;
      let k = 0;
      while (v[k] !== s.value) k++;
      if (k >= firstMove) s.fraction = fractions[k];
      // SPSA earns a larger share of the rounds where its steps win, a smaller one where they lose.
      if (grad) s.spsaShare = k < firstMove ? Math.min(0.75, s.spsaShare * 1.5) : Math.max(0.05, s.spsaShare * 0.8);
    } else {
      s.stall++;
      s.fraction = Math.max(1 / n, s.fraction / 2);
      if (grad) s.spsaShare = Math.max(0.05, s.spsaShare * 0.8);
    }
    // Long without progress: restart from fresh samples.
    s.phase = s.stall >= RESTART_AFTER ? 'sample' : rand() < s.spsaShare ? 'probe' : 'move';
  }
  return result(null);
}
