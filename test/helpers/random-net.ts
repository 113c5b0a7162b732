/** Seeded random LayeredNets, box sampling and sampled minima for the bounder tests. */
import assert from 'node:assert/strict';
import type { BoundResult, DomainBatch } from '../../src/bounds/types.js';
import { applyActivation, withActivations, type AffineLayer, type LayeredNet } from '../../src/network/layered.js';
import type { Activation } from '../../src/network/activations/activation.js';
import { crown } from '../../src/bounds/crown.js';
import { concat } from '../../src/tensor/arrays.js';

export type Rng = () => number;

/** Seeded PRNG, uniform in [0, 1): the verifier's own (src/attack/rng.ts). */
import { mulberry32 as makeRng } from '../../src/attack/rng.js';

export { makeRng };
import { identity as identityAct } from '../../src/network/activations/identity.js';

/** Standard normal (Box-Muller). */
export function normal(rng: Rng): number {
  const u = Math.max(rng(), 1e-300);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

export interface RandomNetOptions {
  /** Fraction of hidden neurons marked identity (no ReLU). Default 0. */
  readonly identityFraction?: number;
  /** Bias standard deviation. Default 0.3. */
  readonly biasScale?: number;
  /** Hidden neurons draw their activation from this list (uniformly); identityFraction still applies. Default: ReLU. */
  readonly activations?: readonly Activation[];
  /** Weight standard deviation times sqrt(fan_in). Default 1. */
  readonly weightScale?: number;
}

/**
 * Random dense net with layer sizes dims = [n_0, n_1, ..., n_out]; weights
 * N(0, 1/fan_in), biases N(0, biasScale^2).
 */
export function randomNet(rng: Rng, dims: readonly number[], opts: RandomNetOptions = {}): LayeredNet {
  const layers: AffineLayer[] = [];
  const bs = opts.biasScale ?? 0.3;
  for (let k = 1; k < dims.length; k++) {
    const inDim = dims[k - 1];
    const outDim = dims[k];
    const W = new Float64Array(outDim * inDim);
    const sd = (opts.weightScale ?? 1) / Math.sqrt(inDim);
    for (let i = 0; i < W.length; i++) W[i] = normal(rng) * sd;
    const b = new Float64Array(outDim);
    for (let i = 0; i < outDim; i++) b[i] = normal(rng) * bs;
    let identity: Uint8Array | undefined;
    if (opts.identityFraction && k < dims.length - 1) {
      identity = new Uint8Array(outDim);
      for (let i = 0; i < outDim; i++) identity[i] = rng() < opts.identityFraction ? 1 : 0;
    }
    if (opts.activations && k < dims.length - 1) {
      const acts = opts.activations;
      const per = Array.from({ length: outDim }, (_, i) => (identity && identity[i] ? identityAct : acts[Math.floor(rng() * acts.length)]));
      layers.push({ inDim, outDim, W, b, ...withActivations(per) });
      continue;
    }
    layers.push(identity ? { inDim, outDim, W, b, identity } : { inDim, outDim, W, b });
  }
  return { inputShape: [1, dims[0]], inputDim: dims[0], outputDim: dims[dims.length - 1], layers };
}

/** Random box inside [-1,1]^n with side lengths up to `maxWidth`. */
export function randomBox(rng: Rng, n: number, maxWidth = 1): { lower: Float64Array; upper: Float64Array } {
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const w = maxWidth * (0.1 + 0.9 * rng());
    const c = (1 - w / 2) * (2 * rng() - 1);
    lower[i] = c - w / 2;
    upper[i] = c + w / 2;
  }
  return { lower, upper };
}

/** Uniform sample of the box into `out` (or a new array). */
export function sampleBox(rng: Rng, lower: Float64Array, upper: Float64Array, out?: Float64Array): Float64Array {
  const x = out ?? new Float64Array(lower.length);
  for (let i = 0; i < x.length; i++) x[i] = lower[i] + (upper[i] - lower[i]) * rng();
  return x;
}

/** Forward pass keeping pre-activations: pre[k] for every layer (the last one is the output). */
export function forwardPre(net: LayeredNet, x: Float64Array): Float64Array[] {
  const pre: Float64Array[] = [];
  let cur = x;
  const last = net.layers.length - 1;
  net.layers.forEach((layer, k) => {
    const z = new Float64Array(layer.outDim);
    const { W, b, inDim } = layer;
    for (let i = 0; i < layer.outDim; i++) {
      let s = b[i];
      const off = i * inDim;
      for (let j = 0; j < inDim; j++) s += W[off + j] * cur[j];
      z[i] = s;
    }
    pre.push(z);
    if (k < last) {
      const a = new Float64Array(z);
      applyActivation(layer, a, 1);
      cur = a;
    }
  });
  return pre;
}

/** Does the sample's pre-activation satisfy the (one-domain) split signs? */
export function satisfiesSplits(pre: readonly Float64Array[], splits: readonly Int8Array[] | undefined): boolean {
  if (!splits) return true;
  for (let k = 0; k < splits.length; k++) {
    const s = splits[k];
    const z = pre[k];
    for (let j = 0; j < s.length; j++) {
      if (s[j] > 0 && z[j] < 0) return false;
      if (s[j] < 0 && z[j] > 0) return false;
    }
  }
  return true;
}

export interface SampleStats {
  /** Per output row, min over kept samples (+Infinity if none kept). */
  readonly min: Float64Array;
  /** Per hidden layer, min / max of the pre-activations over kept samples. */
  readonly preMin: Float64Array[];
  readonly preMax: Float64Array[];
  readonly kept: number;
}

/**
 * n uniform samples of the box, keeping those that satisfy `splits` (one
 * domain's split signs per hidden layer), with per-row output minima and
 * hidden pre-activation ranges.
 */
export function sampleStats(
  net: LayeredNet,
  lower: Float64Array,
  upper: Float64Array,
  n: number,
  rng: Rng = makeRng(12345),
  splits?: readonly Int8Array[],
): SampleStats {
  const H = net.layers.length - 1;
  const min = new Float64Array(net.outputDim).fill(Infinity);
  const preMin = net.layers.slice(0, H).map((l) => new Float64Array(l.outDim).fill(Infinity));
  const preMax = net.layers.slice(0, H).map((l) => new Float64Array(l.outDim).fill(-Infinity));
  const x = new Float64Array(lower.length);
  let kept = 0;
  // Corners of the box too: minima of piecewise-linear nets often sit there.
  for (let s = 0; s < n; s++) {
    sampleBox(rng, lower, upper, x);
    if (s % 4 === 0) for (let i = 0; i < x.length; i++) x[i] = rng() < 0.5 ? lower[i] : upper[i];
    const pre = forwardPre(net, x);
    if (!satisfiesSplits(pre, splits)) continue;
    kept++;
    const out = pre[H];
    for (let r = 0; r < out.length; r++) if (out[r] < min[r]) min[r] = out[r];
    for (let k = 0; k < H; k++) {
      const z = pre[k];
      for (let j = 0; j < z.length; j++) {
        if (z[j] < preMin[k][j]) preMin[k][j] = z[j];
        if (z[j] > preMax[k][j]) preMax[k][j] = z[j];
      }
    }
  }
  return { min, preMin, preMax, kept };
}

/** Per output row, the minimum over n uniform samples of the box (an upper bound on the true minimum). */
export function sampledMinimum(
  net: LayeredNet,
  lower: Float64Array,
  upper: Float64Array,
  n: number,
  rng: Rng = makeRng(12345),
): Float64Array {
  return sampleStats(net, lower, upper, n, rng).min;
}

/** B boxes as one batch (vectors stacked row-wise). */
export function batchOf(boxes: readonly { lower: Float64Array; upper: Float64Array }[], extra: Partial<DomainBatch> = {}): DomainBatch {
  return { size: boxes.length, lower: concat(boxes.map((b) => b.lower)), upper: concat(boxes.map((b) => b.upper)), ...extra };
}

/** Domain b's split signs as one-domain arrays. */
export function domainSplits(net: LayeredNet, splits: readonly Int8Array[], b: number): Int8Array[];
export function domainSplits(net: LayeredNet, splits: readonly Int8Array[] | undefined, b: number): Int8Array[] | undefined;
export function domainSplits(net: LayeredNet, splits: readonly Int8Array[] | undefined, b: number): Int8Array[] | undefined {
  return splits?.map((s, k) => s.slice(b * net.layers[k].outDim, (b + 1) * net.layers[k].outDim));
}

export interface RandomCase {
  readonly net: LayeredNet;
  readonly boxes: { lower: Float64Array; upper: Float64Array }[];
}

/**
 * A random net of 3-6 inputs and 2-3 hidden layers with four boxes (the
 * first of width 2), for bounder tests. `widthSpread`, `outputSpread`,
 * `identityEvery` and `minBoxWidth` vary the distribution per test file.
 */
export function randomCase(
  seed: number,
  o: { widthSpread: number; outputSpread: number; identityEvery: number; minBoxWidth: number },
): RandomCase {
  const rng = makeRng(seed);
  const n0 = 3 + Math.floor(rng() * 4);
  const nh = 2 + Math.floor(rng() * 2);
  const dims = [n0];
  for (let i = 0; i < nh; i++) dims.push(8 + Math.floor(rng() * o.widthSpread));
  dims.push(2 + Math.floor(rng() * o.outputSpread));
  const net = randomNet(rng, dims, { identityFraction: seed % o.identityEvery === 0 ? 0.2 : 0 });
  const boxes = [];
  for (let b = 0; b < 4; b++) boxes.push(randomBox(rng, n0, b === 0 ? 2 : o.minBoxWidth + rng()));
  return { net, boxes };
}

/**
 * Random ReLU split patterns (one domain) on neurons CROWN finds ambiguous;
 * some combinations may be infeasible.
 */
export async function randomSplits(net: LayeredNet, lower: Float64Array, upper: Float64Array, count: number, rng: Rng): Promise<Int8Array[]> {
  const H = net.layers.length - 1;
  const C = await crown().bound(net, { size: 1, lower, upper });
  const splits = net.layers.slice(0, H).map((l) => new Int8Array(l.outDim));
  const amb: [number, number][] = [];
  for (let k = 0; k < H; k++) {
    for (let j = 0; j < net.layers[k].outDim; j++) {
      if (net.layers[k].identity?.[j]) continue;
      if (C.preLower[k][j] < 0 && C.preUpper[k][j] > 0) amb.push([k, j]);
    }
  }
  for (let q = 0; q < count && amb.length > 0; q++) {
    const [k, j] = amb.splice(Math.floor(rng() * amb.length), 1)[0];
    splits[k][j] = rng() < 0.5 ? 1 : -1;
  }
  return splits;
}

/**
 * Every output-row and pre-activation bound of each domain b of `res` lies on the safe side of the samples
 * `stats[b]` (within `slack`). Domains with no sample kept are skipped: possibly empty, any bound holds there.
 */
export function assertBoundsHoldOnSamples(net: LayeredNet, res: BoundResult, stats: readonly SampleStats[], label: string, slack: number): void {
  const m = net.outputDim;
  const H = net.layers.length - 1;
  stats.forEach((st, b) => {
    if (st.kept === 0) return;
    for (let r = 0; r < m; r++) {
      const lb = res.rowLower[b * m + r];
      assert.ok(lb <= st.min[r] + slack, `${label}: domain ${b} row ${r}: bound ${lb} above the sampled minimum ${st.min[r]} (kept ${st.kept})`);
    }
    for (let k = 0; k < H; k++) {
      const n = net.layers[k].outDim;
      for (let j = 0; j < n; j++) {
        assert.ok(res.preLower[k][b * n + j] <= st.preMin[k][j] + slack, `${label}: preLower layer ${k} neuron ${j} domain ${b}`);
        assert.ok(res.preUpper[k][b * n + j] >= st.preMax[k][j] - slack, `${label}: preUpper layer ${k} neuron ${j} domain ${b}`);
      }
    }
  });
}
