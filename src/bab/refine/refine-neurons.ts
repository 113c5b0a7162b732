/**
 * Intermediate bounds refined by branch and bound (issue 13): alpha-beta-CROWN's `bab-refine` for deep fully
 * connected networks, with our own ReLU-splitting search where it uses MIP (Gurobi).
 *
 * Why: on MNIST's 256x4 / 256x6 networks most of the root's looseness comes from neurons whose bounds straddle 0
 * by a little while the neuron never changes sign (upper bound 0.03 where no input reaches above -1.6). Each such
 * neuron keeps a triangle relaxation, and a hundred of them in the last hidden layers put the output bound at
 * -1.8 (256x4) to -400 (256x6) where the property holds by a margin. Proving a neuron of layer k stable is a
 * verification problem on the network cut after layer k, with one output row (+x_j or -x_j): small (its layers
 * below k have few ambiguous neurons once those are refined) and usually closed in a few dozen domains.
 *
 * Layer by layer from the second hidden layer: every ambiguous neuron that the probe points (the minimisers of
 * its own linear bounds) never saw on one side of 0 gets a short search to prove it never goes there. A proof
 * makes the bound 0 (the neuron is stable); a search that runs out of time still leaves a valid bound, its
 * global lower bound. After each layer, alpha-CROWN re-derives the layers above from the tightened ones.
 *
 * Soundness: a search's `unsat` means the row's computed bound cleared its rounding margin on every leaf, so the
 * true pre-activation has the proved sign; a global lower bound is widened by the layer's rounding-error scale as
 * in root-intermediates.ts. `sat` (a point with the other sign, in float64) only tells the neuron is ambiguous.
 */
import type { IntermediateSlopes } from '../../bounds/types.js';
import { crown } from '../../bounds/crown.js';
import { ambiguousCount, ambiguousPerLayer, optimisedIntermediates, type PreBounds } from '../../bounds/root-intermediates.js';
import { forwardBatch } from '../../network/batch.js';
import { foldOutputRows, type LayeredNet } from '../../network/layered.js';
import { errorScale } from '../../problem/rounding.js';
import type { NeuronOutcome, NeuronTarget } from './neuron-search.js';
import { neuronPool, type NeuronPool } from './refine-pool.js';
import { targetImpact } from './target-impact.js';

export interface RefineOptions {
  /** performance.now() by which refinement must have returned. */
  readonly deadline: number;
  /**
   * performance.now() by which the layers above the last refined one must be re-derived from it (alpha-CROWN,
   * seconds on MNIST); default `deadline`. Past it they keep their bounds.
   */
  readonly finishBy?: number;
  /** Longest search per neuron, in seconds. */
  readonly perNeuronSeconds: number;
  /** Threads searching neurons at once (the calling one and threads - 1 workers; default 1). */
  readonly threads?: number;
  /**
   * Refinement stops at the first layer where fewer than this share of the ambiguous neurons are candidates for
   * a proof (default 0.1).
   */
  readonly minTargetShare?: number;
  /**
   * A layer's neurons are searched in the order of their estimated gain on the output rows when the gains add up
   * to this share of the rows' deficit (default 0.5; see IMPACT_MIN_SHARE).
   */
  readonly gainOrderShare?: number;
  /**
   * Neurons seen on both sides of 0 get their bounds tightened (Tightening) with this slack (default
   * TIGHTEN_SLACK); false: only stability proofs.
   */
  readonly tighten?: number | false;
  /** A pool to search on instead (its threads; left open). */
  readonly pool?: NeuronPool;
  /** Slopes of the rows behind each layer's bounds (root-intermediates), reused by the searches' domains. */
  readonly slopes?: IntermediateSlopes;
  /** Stops once this says the tightened bounds suffice (e.g. the output rows' bound closes the root). */
  readonly enough?: (pre: PreBounds) => Promise<boolean>;
  /**
   * Whether the searches that ran out of time get a second, longer one after every layer had its pass (default
   * true). Without it they come back in `timedOut`, for a later call with `again`.
   */
  readonly retry?: boolean;
  /**
   * Only these neurons (an earlier call's `timedOut`, by hidden layer), each searched a second time with a
   * longer budget; `start` is what the bounds have become since.
   */
  readonly again?: ReadonlyMap<number, readonly NeuronTarget[]>;
  /** Told after each layer's searches (and the re-derivation of the layers above): for the log. */
  readonly onPass?: (pass: RefinePass) => void;
}

/** One layer's searches, as `onPass` reports them. */
export interface RefinePass {
  /** Hidden layer (0 = first). */
  readonly layer: number;
  /** 'first': the layer's first pass; 'below': before a gain-ordered layer above; 'again': a second, longer one. */
  readonly kind: 'first' | 'below' | 'again';
  readonly targets: number;
  readonly perNeuronSeconds: number;
  readonly byGain: boolean;
  /** Bounds that moved, and searches that ran out of time or never started. */
  readonly changed: number;
  readonly timedOut: number;
  readonly seconds: number;
  /** Ambiguous neurons per hidden layer after the pass. */
  readonly ambiguous: readonly number[];
}

export interface RefineResult {
  readonly pre: { preLower: Float64Array[]; preUpper: Float64Array[] };
  readonly slopes?: IntermediateSlopes;
  readonly stats: RefineStats;
  /** Neurons whose searches ran out of time and that are still ambiguous, by hidden layer. */
  readonly timedOut: ReadonlyMap<number, readonly NeuronTarget[]>;
}

export interface RefineStats {
  /** Neurons searched (those a short descent did not already show ambiguous). */
  readonly tried: number;
  readonly proved: number;
  /** Neurons found on the other side of 0 by the descent or the search: ambiguous. */
  readonly ambiguous: number;
  /** Bounds of neurons seen on both sides of 0 that their searches tightened (Tightening). */
  readonly tightened: number;
  readonly domains: number;
  /** Ambiguous neurons before and after, summed over the hidden layers. */
  readonly ambiguousBefore: number;
  readonly ambiguousAfter: number;
  /** Neurons whose first search ran out of time, queued for a longer second one (not all get it in time). */
  readonly retried: number;
  /** Hidden layers whose neurons were searched. */
  readonly layers: number;
  /** Layer passes (first or second) whose neurons were searched in the order of their gain (target-impact.ts). */
  readonly byGain: number;
  /** Of `retried`, those searched again before a gain-ordered layer above theirs, in the first pass. */
  readonly below: number;
  /** Of the neurons searched, those searched on worker threads. */
  readonly onWorkers: number;
}

/** Estimated gains of a layer's targets (target-impact.ts), searched in that order, and the deficit they reduce. */
interface GainWatch {
  readonly gain: ReadonlyMap<NeuronTarget, number>;
  readonly deficit: number;
  /** How many targets, first in the order, carry GAIN_COVER of the gain. */
  readonly worth: number;
}

/** A neuron to prove stable, with how far its bound is from the proof relative to its interval (smaller first). */
interface Target extends NeuronTarget {
  readonly gap: number;
}

/** Share of a layer's ambiguous neurons that must be candidates for a proof for refinement to go on. */
const TARGET_MIN_SHARE = 0.1;

/** Share of a layer's ambiguous neurons whose bounds must move before the layers above are re-derived. */
const REDERIVE_MIN_SHARE = 0.05;

/** A second search of a neuron gets at least this many times the first one's budget, and at most this long. */
const RETRY_MIN_FACTOR = 3;
const RETRY_MAX_SECONDS = 10;

/** How far a bound [l, u] is from proving the side, relative to its width (0: proved). */
const proofGap = (l: number, u: number, side: 1 | -1): number => (side > 0 ? -l : u) / (u - l);

/** The order of a layer's targets nearest to a proof first: tightenings after every stability proof. */
const targetGap = (l: number, u: number, t: NeuronTarget): number => (t.tighten ? 1 : 0) + proofGap(l, u, t.side);

/**
 * A tightening proves side·x_j >= theta this share of the way from the lowest value a descent finds back to the
 * neuron's bound (Tightening).
 */
const TIGHTEN_SLACK = 0.25;

/**
 * A layer's targets are searched in the order of their estimated effect on the output rows (target-impact.ts)
 * when those effects add up to at least this share of the rows' deficit: the layer alone could then close them.
 * Otherwise (the lower layers of a deep network, where every neuron's direct effect is small) nearest to a proof
 * first, which proves the most neurons per second for the layers above.
 */
const IMPACT_MIN_SHARE = 0.5;
/**
 * In that order, whether the bounds suffice (`enough`) is asked once the proved neurons' estimated gains reach
 * this share of the deficit, and again after each further CHECK_STEP of it (one question at a time): on 256x4
 * prop_12_0.05 the output bound of the ceiling turned positive after the gains of the first 10-15 neurons, 1.0-1.1
 * times CROWN's deficit.
 */
const CHECK_FIRST = 0.75;
const CHECK_STEP = 0.15;
/**
 * In that order each search gets the time left over the targets that carry this share of the gain (at least
 * RETRY_MIN_FACTOR times the first budget, at most RETRY_MAX_SECONDS): the few neurons that matter are searched to
 * the end. On 256x4 prop_12_0.05, 120 s of refinement from the root on two threads left alpha-CROWN's output bound
 * at -1.73 nearest to a proof first (1.5 s searches), -0.81 in gain order (1.5 s), -0.65 (4.5 s), -0.15 (9 s), -0.12
 * (15 s): the last hidden layer's proofs take 2-10 s each.
 */
const GAIN_COVER = 0.9;

/** Below this much refinement time, worker threads (a few hundred ms to start) are not worth starting. */
const MIN_POOL_SECONDS = 2;

/**
 * Tightened pre-activation bounds of every hidden layer of a ReLU network over the box, from `start` (valid on
 * the box). Returns the bounds (the same arrays, tightened in place, when nothing could be done) and what it did.
 */
export async function refineNeurons(
  net: LayeredNet,
  lower: Float64Array,
  upper: Float64Array,
  start: PreBounds,
  options: RefineOptions,
): Promise<RefineResult> {
  const H = net.layers.length - 1;
  const preLower: Float64Array[] = start.preLower.map((a) => Float64Array.from(a));
  const preUpper: Float64Array[] = start.preUpper.map((a) => Float64Array.from(a));
  let slopes = options.slopes;
  const ambiguousBefore = ambiguousCount({ preLower, preUpper });
  const err = errorScale(net, lower, upper).hidden;
  let tried = 0;
  let proved = 0;
  let ambiguous = 0;
  let domains = 0;
  let layers = 0;
  let onWorkers = 0;
  let retried = 0;
  let byGain = 0;
  let below = 0;
  let tightened = 0;
  let seenAmbiguous = false;
  const now = () => performance.now();
  const slack = options.tighten === false ? undefined : (options.tighten ?? TIGHTEN_SLACK);
  const threads = (options.deadline - now()) / 1000 >= MIN_POOL_SECONDS ? Math.max(1, options.threads ?? 1) : 1;
  const pool = options.pool ?? neuronPool(threads);
  const before = pool.remoteSearches;
  const timedOutLeft = new Map<number, readonly NeuronTarget[]>();
  const stillAmbiguous = (ts: readonly NeuronTarget[], k: number) => ts.filter((t) => preLower[k][t.j] < 0 && preUpper[k][t.j] > 0);
  const cutAt = (k: number): LayeredNet => ({ ...net, outputDim: net.layers[k].outDim, layers: net.layers.slice(0, k + 1) });
  // Searches the targets of layer k, each for at most perNeuronMs, and tightens the layer's bounds with what
  // they find. Returns how many bounds moved and the targets whose searches ran out of time or never started.
  // With `watch` (targets in gain order), asks `enough` as proofs add up, and stops the layer once it says yes.
  const searchTargets = async (k: number, targets: readonly NeuronTarget[], perNeuronMs: number, watch?: GainWatch) => {
    let changed = 0;
    const finished = new Set<NeuronTarget>();
    let provedGain = 0;
    let nextCheck = CHECK_FIRST * (watch?.deficit ?? 0);
    let asking: Promise<void> | null = null;
    let failure: { error: unknown } | undefined;
    const enough = new AbortController();
    const ask = () => {
      if (!watch || !options.enough || asking || failure || enough.signal.aborted || provedGain < nextCheck) return;
      nextCheck = provedGain + CHECK_STEP * watch.deficit;
      const snapshot = { preLower: preLower.map((a) => a.slice()), preUpper: preUpper.map((a) => a.slice()) };
      asking = options.enough(snapshot).then(
        (yes) => {
          asking = null;
          if (yes) enough.abort();
          else ask();
        },
        (error: unknown) => {
          asking = null;
          failure = { error };
        },
      );
    };
    const layer = {
      cut: cutAt(k),
      lower,
      upper,
      rootPre: { preLower: preLower.slice(0, k), preUpper: preUpper.slice(0, k) },
      slopes: slopes?.slice(0, k),
      own: { lower: preLower[k].slice(), upper: preUpper[k].slice() },
    };
    const onOutcome = (t: NeuronTarget, o: NeuronOutcome) => {
      domains += o.domains;
      if (o.kind !== 'ambiguous' || o.domains > 0) tried++;
      let bound = -Infinity;
      if (o.kind === 'proved') {
        if (o.at === 0) proved++;
        // A tightening's level enters the searched row's bias, rounded: the layer's error scale covers that. The
        // sign (level 0) is exact.
        bound = o.at === 0 ? 0 : o.at - err[k][t.j];
        provedGain += watch?.gain.get(t) ?? 0;
      } else if (o.kind === 'ambiguous') {
        if (!t.tighten) ambiguous++;
      } else if (o.kind === 'bound') {
        bound = o.at + Math.min(o.globalLb, 0) - err[k][t.j];
      }
      if (o.kind !== 'bound') finished.add(t);
      // NaN compares false: no information.
      if (t.side > 0 && bound > preLower[k][t.j]) {
        preLower[k][t.j] = bound;
        changed++;
        if (t.tighten) tightened++;
      }
      if (t.side < 0 && -bound < preUpper[k][t.j]) {
        preUpper[k][t.j] = -bound;
        changed++;
        if (t.tighten) tightened++;
      }
      ask();
    };
    await pool.searchLayer(layer, targets, perNeuronMs, options.deadline, onOutcome, enough.signal);
    // A question still out when the last search ended is worth its answer: it saves the layers' re-derivation.
    while (asking) await asking;
    if (failure) throw failure.error;
    return { changed, enough: enough.signal.aborted, timedOut: targets.filter((t) => !finished.has(t)).map((t) => ({ j: t.j, side: t.side })) };
  };
  // The targets in the order worth searching them (IMPACT_MIN_SHARE), with their gains when that is by gain.
  const ordered = async (k: number, targets: readonly Target[]): Promise<{ targets: readonly Target[]; watch?: GainWatch }> => {
    if (targets.length === 0) return { targets };
    const impact = await targetImpact(net, lower, upper, { preLower, preUpper }, k, targets);
    const total = impact.gain.reduce((s, g) => s + g, 0);
    if (!(impact.deficit > 0) || !(total >= (options.gainOrderShare ?? IMPACT_MIN_SHARE) * impact.deficit)) return { targets };
    const idx = targets.map((_, i) => i).sort((a, b) => impact.gain[b] - impact.gain[a] || targets[a].gap - targets[b].gap);
    // The fewest targets, first in this order, whose gains make up GAIN_COVER of the total: the ones worth the time.
    let worth = 0;
    for (let acc = 0; worth < idx.length && acc < GAIN_COVER * total; worth++) acc += impact.gain[idx[worth]];
    const sorted = idx.map((i) => targets[i]);
    return { targets: sorted, watch: { deficit: impact.deficit, worth, gain: new Map(idx.map((i) => [targets[i] as NeuronTarget, impact.gain[i]])) } };
  };
  // A longer search's budget, in ms: its share of the time left over `among` searches, within RETRY_MIN_FACTOR
  // times the first budget and RETRY_MAX_SECONDS.
  const longBudget = (among: number): number => {
    const share = ((options.deadline - now()) * threads) / Math.max(1, among);
    return Math.min(1000 * RETRY_MAX_SECONDS, Math.max(RETRY_MIN_FACTOR * 1000 * options.perNeuronSeconds, share));
  };
  // A search's budget in a gain-ordered layer (GAIN_COVER), else `plain`.
  const perNeuron = (plain: number, watch: GainWatch | undefined): number => (watch ? longBudget(watch.worth) : plain);
  // The layers above, re-derived from the tightened ones, unless too few moved to be worth a pass over every
  // layer (seconds on a convolutional network, where probes see most neurons on both sides). Returns whether
  // the bounds now suffice (`enough`).
  const rederive = async (changed: number, ambiguousHere: number): Promise<boolean> => {
    if (changed < Math.max(1, REDERIVE_MIN_SHARE * ambiguousHere)) return false;
    const again = await optimisedIntermediates(net, lower, upper, Math.max(options.deadline, options.finishBy ?? -Infinity), { preLower, preUpper });
    if (again) {
      for (let q = 0; q < H; q++) {
        preLower[q] = Float64Array.from(again.preLower[q]);
        preUpper[q] = Float64Array.from(again.preUpper[q]);
      }
      slopes = again.slopes;
    }
    return options.enough !== undefined && (await options.enough({ preLower, preUpper }));
  };
  let closed = false;
  // One pass over layer k's targets: the searches, the layers above re-derived from what they proved (`closed`
  // when that suffices), and the pass reported. Returns the targets whose searches ran out of time.
  const runPass = async (k: number, kind: RefinePass['kind'], targets: readonly NeuronTarget[], perNeuronMs: number, watch: GainWatch | undefined, ambiguousHere: number) => {
    if (watch) byGain++;
    const t0 = now();
    const res = await searchTargets(k, targets, perNeuronMs, watch);
    closed = res.enough || (await rederive(res.changed, ambiguousHere));
    options.onPass?.({
      layer: k,
      kind,
      targets: targets.length,
      perNeuronSeconds: perNeuronMs / 1000,
      byGain: watch !== undefined,
      changed: res.changed,
      timedOut: res.timedOut.length,
      seconds: (now() - t0) / 1000,
      ambiguous: ambiguousPerLayer({ preLower, preUpper }),
    });
    return res.timedOut;
  };
  /** Per hidden layer, the neurons whose searches ran out of time or never started. */
  const retry = new Map<number, readonly NeuronTarget[]>(options.again ?? []);
  // Before gain-ordered layer k: the neurons of the layers below whose searches ran out of time and whose gains are
  // at least `tau` (the least gain among layer k's neurons worth searching), lowest layer first, each searched
  // like those of layer k. Returns whether any was. On 256x6 prop_10_0.05 (135 s from the root, two threads) the
  // first pass reached the last hidden layer with 29 and 31 neurons of the two layers below still ambiguous after
  // their 0.9 s searches; setting layer 5's one-sided neurons stable would only lift the output bound to -1.73,
  // layer 4's to -0.42. Searched first, they left layers 4 and 5 with 10 and 99 ambiguous neurons (31 and 223
  // without) and the output bound at -1.81 (-4.81 without).
  const searchBelow = async (k: number, tau: number, worthAbove: number): Promise<boolean> => {
    let any = false;
    for (const q of [...retry.keys()].filter((q) => q < k).sort((a, b) => a - b)) {
      if (closed || now() >= options.deadline) break;
      const still = stillAmbiguous(retry.get(q)!, q);
      if (still.length === 0) continue;
      const impact = await targetImpact(net, lower, upper, { preLower, preUpper }, q, still);
      const chosen = still.map((t, i) => ({ t, g: impact.gain[i] })).filter((c) => c.g > 0 && c.g >= tau).sort((a, b) => b.g - a.g);
      if (chosen.length === 0) continue;
      any = true;
      const perNeuronMs = longBudget(chosen.length + worthAbove);
      const watch: GainWatch = { deficit: impact.deficit, worth: chosen.length, gain: new Map(chosen.map((c) => [c.t, c.g])) };
      retried += chosen.length;
      below += chosen.length;
      const ambiguousHere = ambiguousPerLayer({ preLower, preUpper })[q];
      const searched = new Set(chosen.map((c) => c.t));
      const timedOut = await runPass(q, 'below', chosen.map((c) => c.t), perNeuronMs, watch, ambiguousHere);
      retry.set(q, [...still.filter((t) => !searched.has(t)), ...timedOut]);
    }
    return any;
  };
  try {
    for (let k = 1; k < H && now() < options.deadline && !closed && !options.again; k++) {
      const { targets, candidates, ambiguousHere } = await layerTargets(cutAt(k), lower, upper, preLower, preUpper, k, slack);
      // Where the probes see nearly every ambiguous neuron on both sides (oval21's convolutional networks: 4 of
      // 297), there is little to prove and the searches' time is better left to the search itself: such a layer
      // is skipped, and when it is the first with ambiguous neurons, so is the rest.
      if (candidates === 0 || candidates < (options.minTargetShare ?? TARGET_MIN_SHARE) * ambiguousHere) {
        if (ambiguousHere > 0 && !seenAmbiguous) break;
        seenAmbiguous ||= ambiguousHere > 0;
        continue;
      }
      seenAmbiguous = true;
      layers++;
      let order = await ordered(k, targets);
      if (order.watch && retry.size > 0) {
        const w = order.watch;
        const tau = w.gain.get(order.targets[Math.max(0, w.worth - 1)]) ?? 0;
        if (await searchBelow(k, tau, w.worth)) {
          if (closed || now() >= options.deadline) break;
          order = await ordered(k, (await layerTargets(cutAt(k), lower, upper, preLower, preUpper, k, slack)).targets);
        }
      }
      const timedOut = await runPass(k, 'first', order.targets, perNeuron(1000 * options.perNeuronSeconds, order.watch), order.watch, ambiguousHere);
      if (timedOut.length > 0) retry.set(k, timedOut);
    }
    // The searches that ran out of time get longer ones once every layer had its pass, lowest layer first (the
    // layers above search from its bounds), within a layer in the same kind of order as the first pass. On MNIST
    // 256x4 prop_12_0.05, the last hidden layer's stable neurons took 2-9 s each where the first pass gave 1.5 s,
    // and they alone would close the root.
    const second = options.again !== undefined || options.retry !== false;
    for (const k of second ? [...retry.keys()].sort((a, b) => a - b) : []) {
      if (closed || now() >= options.deadline) break;
      const order = await ordered(
        k,
        stillAmbiguous(retry.get(k)!, k)
          .map((t) => ({ ...t, gap: targetGap(preLower[k][t.j], preUpper[k][t.j], t) }))
          .sort((a, b) => a.gap - b.gap),
      );
      const targets = order.targets;
      const left = [...retry].reduce((c, [q, ts]) => c + (q >= k ? ts.length : 0), 0);
      const perNeuronMs = perNeuron(longBudget(left), order.watch);
      const ambiguousHere = ambiguousPerLayer({ preLower, preUpper })[k];
      retried += targets.length;
      retry.set(k, await runPass(k, 'again', targets, perNeuronMs, order.watch, ambiguousHere));
    }
    for (const [k, ts] of retry) {
      const left = stillAmbiguous(ts, k);
      if (left.length > 0) timedOutLeft.set(k, left);
    }
  } finally {
    onWorkers = pool.remoteSearches - before;
    if (!options.pool) await pool.close();
  }
  return {
    pre: { preLower, preUpper },
    slopes,
    stats: { tried, proved, ambiguous, tightened, domains, ambiguousBefore, ambiguousAfter: ambiguousCount({ preLower, preUpper }), retried, below, layers, byGain, onWorkers },
    timedOut: timedOutLeft,
  };
}

/**
 * The ambiguous neurons of layer k (`ambiguousHere` of them) worth a search, nearest to a proof first: each
 * one's probe points (the minimisers over the box of its two linear bounds from CROWN on the cut network) are
 * evaluated; a neuron seen on one side only is searched for the other (`candidates` of them), one seen on both
 * sides, with a slack, gets a tightening of each bound (after every stability proof).
 */
async function layerTargets(
  cut: LayeredNet,
  lower: Float64Array,
  upper: Float64Array,
  preLower: readonly Float64Array[],
  preUpper: readonly Float64Array[],
  k: number,
  slack: number | undefined,
): Promise<{ targets: Target[]; candidates: number; ambiguousHere: number }> {
  const n = cut.outputDim;
  const n0 = cut.inputDim;
  const amb: number[] = [];
  for (let j = 0; j < n; j++) if (preLower[k][j] < 0 && preUpper[k][j] > 0) amb.push(j);
  if (amb.length === 0) return { targets: [], candidates: 0, ambiguousHere: 0 };
  const C = new Float64Array(2 * amb.length * n);
  amb.forEach((j, i) => {
    C[2 * i * n + j] = 1;
    C[(2 * i + 1) * n + j] = -1;
  });
  const folded = foldOutputRows(cut, C, new Float64Array(2 * amb.length));
  // CROWN's minimisers (one backward pass): a neuron they miss on one side still gets a descent of its own first.
  const res = await crown().bound(folded, { size: 1, lower, upper, preLower: preLower.slice(0, k), preUpper: preUpper.slice(0, k) });
  const seenLow = new Float64Array(n).fill(Infinity);
  const seenHigh = new Float64Array(n).fill(-Infinity);
  if (res.linear) {
    const A = res.linear.A;
    const P = 2 * amb.length;
    const X = new Float64Array(P * n0);
    for (let i = 0; i < P * n0; i++) X[i] = A[i] >= 0 ? lower[i % n0] : upper[i % n0];
    const z = (await forwardBatch(cut, X, P)).output;
    for (let r = 0; r < P; r++) {
      for (const j of amb) {
        const v = z[r * n + j];
        if (v < seenLow[j]) seenLow[j] = v;
        if (v > seenHigh[j]) seenHigh[j] = v;
      }
    }
  }
  const proofs: Target[] = [];
  const tightenings: Target[] = [];
  const add = (list: Target[], t: NeuronTarget) => list.push({ ...t, gap: targetGap(preLower[k][t.j], preUpper[k][t.j], t) });
  for (const j of amb) {
    // Seen only at or above 0: try to prove it never goes below; seen only at or below: never above.
    if (!(seenLow[j] < 0)) add(proofs, { j, side: 1 });
    else if (!(seenHigh[j] > 0)) add(proofs, { j, side: -1 });
    else if (slack !== undefined && seenHigh[j] < preUpper[k][j] && seenLow[j] > preLower[k][j]) {
      // Seen on both sides: each of its bounds tightened towards the values seen.
      for (const side of [1, -1] as const) add(tightenings, { j, side, tighten: { seen: side > 0 ? seenLow[j] : -seenHigh[j], slack } });
    }
  }
  const byGap = (a: Target, b: Target) => a.gap - b.gap;
  return { targets: [...proofs.sort(byGap), ...tightenings.sort(byGap)], candidates: proofs.length, ambiguousHere: amb.length };
}
