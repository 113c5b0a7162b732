/**
 * Seeded random ReLU networks written as real ONNX models, in the shapes the
 * verifier meets in practice: fully connected, 1-D and 2-D convolutions
 * (Conv + Relu, then Flatten + Gemm), residual blocks (Add skips, which
 * lowering carries as identity neurons) and BatchNormalization after Conv or
 * Gemm. `large` networks grow their activations layer by layer until the
 * outputs are in the hundreds, like the regression network of issue 11:
 * rounding errors of bounds scale with these magnitudes.
 *
 * Sizes keep the exact MIP (the ground truth) well under a second: at most
 * ~60 inputs, hidden layers of 4-16 neurons (conv layers are wider but
 * mostly stable, since most inputs are fixed), 1-3 hidden layers. The
 * `regression` shape is the exception, modelled on issue 11's network:
 * 100-400 inputs, two strided convolutions and four dense layers; with all
 * but a dozen inputs fixed, few of its neurons are ambiguous and the MIP
 * stays fast.
 */
import { OnnxBuilder } from '../onnx-builder.js';

export type Shape = 'fc' | 'conv1d' | 'conv2d' | 'residual' | 'batchnorm' | 'regression';
export const SHAPES: readonly Shape[] = ['fc', 'conv1d', 'conv2d', 'residual', 'batchnorm', 'regression'];

export type Magnitude = 'ordinary' | 'large';

export interface NetworkCase {
  readonly bytes: Uint8Array;
  readonly inputShape: readonly number[];
  readonly numInputs: number;
  readonly numOutputs: number;
  readonly magnitude: Magnitude;
  /** Human-readable layer list, for reports. */
  readonly layout: string;
}

const int = (rng: () => number, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
const pick = <T>(rng: () => number, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];

/**
 * Builds a chain of layers, tracking the current value, its shape and the
 * typical size of its entries (`level`), so that biases and batch-norm
 * statistics stay commensurate with the activations they are added to.
 */
class Chain {
  cur = 'x';
  level = 1;
  readonly layout: string[] = [];

  constructor(
    readonly b: OnnxBuilder,
    readonly rng: () => number,
    public shape: number[],
    /** Multiplier of every weight layer: 1 keeps activations of order 1. */
    readonly gain: number,
  ) {
    b.input('x', shape);
  }

  private uniform(n: number, a: number): Float64Array {
    return Float64Array.from({ length: n }, () => (2 * this.rng() - 1) * a);
  }

  /** He-style uniform weights (variance 2/fanIn through ReLUs) times the gain. */
  private weights(n: number, fanIn: number): Float64Array {
    return this.uniform(n, this.gain * Math.sqrt(6 / fanIn));
  }

  dense(out: number): this {
    const m = this.shape[1];
    const w = this.weights(out * m, m);
    this.level *= this.gain;
    const bias = this.uniform(out, 0.5 * this.level);
    const y = this.b.fresh('fc');
    const W = this.b.fresh('W');
    const B = this.b.fresh('B');
    if (this.rng() < 0.7) {
      this.b.init(W, w, [out, m]).init(B, bias, [out]).node('Gemm', [this.cur, W, B], [y], { transB: 1 });
    } else {
      // TF style: MatMul with a [m, out] matrix, then Add.
      const wt = new Float64Array(m * out);
      for (let i = 0; i < out; i++) for (let j = 0; j < m; j++) wt[j * out + i] = w[i * m + j];
      const mm = this.b.fresh('mm');
      this.b.init(W, wt, [m, out]).init(B, bias, [out]).node('MatMul', [this.cur, W], [mm]).node('Add', [mm, B], [y]);
    }
    this.cur = y;
    this.shape = [1, out];
    this.layout.push(`dense ${m}->${out}`);
    return this;
  }

  /** 1-D ([1,C,L]) or 2-D ([1,C,H,W]) convolution with square kernels. */
  conv(out: number, k: number, stride: number, pad: number): this {
    const [, c, ...spatial] = this.shape;
    const taps = spatial.length === 1 ? k : k * k;
    const w = this.weights(out * c * taps, c * taps);
    this.level *= this.gain;
    const bias = this.uniform(out, 0.5 * this.level);
    const K = this.b.fresh('K');
    const KB = this.b.fresh('KB');
    const y = this.b.fresh('conv');
    const sp = spatial.length;
    this.b.init(K, w, [out, c, ...Array(sp).fill(k)]).init(KB, bias, [out]);
    this.b.node('Conv', [this.cur, K, KB], [y], {
      kernel_shape: Array(sp).fill(k),
      strides: Array(sp).fill(stride),
      pads: Array(2 * sp).fill(pad),
    });
    const outSpatial = spatial.map((n) => Math.floor((n + 2 * pad - k) / stride) + 1);
    this.layout.push(`conv${sp}d ${c}x${spatial.join('x')}->${out}x${outSpatial.join('x')} k${k} s${stride} p${pad}`);
    this.cur = y;
    this.shape = [1, out, ...outSpatial];
    return this;
  }

  batchNorm(): this {
    const c = this.shape[1];
    const L = this.level;
    const pos = (lo: number, hi: number) => Float64Array.from({ length: c }, () => lo + (hi - lo) * this.rng());
    const names = ['scale', 'bias', 'mean', 'var'].map((p) => this.b.fresh(`bn_${p}`));
    this.b.init(names[0], pos(0.5, 1.5), [c]);
    this.b.init(names[1], this.uniform(c, 0.3 * L), [c]);
    this.b.init(names[2], this.uniform(c, 0.3 * L), [c]);
    this.b.init(names[3], pos(0.5 * L * L, 1.5 * L * L), [c]);
    const y = this.b.fresh('bn');
    this.b.node('BatchNormalization', [this.cur, ...names], [y], { epsilon: 1e-5 });
    this.cur = y;
    this.layout.push('batchnorm');
    return this;
  }

  relu(): this {
    const y = this.b.fresh('relu');
    this.b.node('Relu', [this.cur], [y]);
    this.cur = y;
    return this;
  }

  add(other: string): this {
    const y = this.b.fresh('add');
    this.b.node('Add', [this.cur, other], [y]);
    this.cur = y;
    this.layout.push('add-skip');
    return this;
  }

  flatten(): this {
    const y = this.b.fresh('flat');
    this.b.node('Flatten', [this.cur], [y], { axis: 1 });
    this.cur = y;
    this.shape = [1, this.shape.slice(1).reduce((a, b) => a * b, 1)];
    return this;
  }

  finish(magnitude: Magnitude, inputShape: number[]): NetworkCase {
    this.b.node('Identity', [this.cur], ['y']).output('y', this.shape);
    const numInputs = inputShape.reduce((a, b) => a * b, 1);
    return { bytes: this.b.build(), inputShape, numInputs, numOutputs: this.shape[1], magnitude, layout: this.layout.join(', ') };
  }
}

/**
 * Gain per weight layer: 1 for ordinary networks; for large ones the
 * `layers`-th root of an output scale drawn in [100, 1000].
 */
function gainFor(rng: () => number, magnitude: Magnitude, layers: number): number {
  if (magnitude === 'ordinary') return 1;
  return (100 * 10 ** rng()) ** (1 / layers);
}

function fc(rng: () => number, magnitude: Magnitude): NetworkCase {
  const n = pick(rng, [int(rng, 2, 8), int(rng, 8, 24), int(rng, 24, 60)]);
  const hidden = Array.from({ length: int(rng, 1, 3) }, () => int(rng, 4, 16));
  const m = int(rng, 2, 5);
  const c = new Chain(new OnnxBuilder(), rng, [1, n], gainFor(rng, magnitude, hidden.length + 1));
  for (const h of hidden) c.dense(h).relu();
  return c.dense(m).finish(magnitude, [1, n]);
}

/** Conv + ReLU layers (1-2), then Flatten, an optional hidden Gemm, and the output Gemm. */
function conv(rng: () => number, magnitude: Magnitude, dims: 1 | 2): NetworkCase {
  const channels = int(rng, 1, 2);
  const spatial = dims === 1 ? [int(rng, 8, Math.floor(60 / channels))] : (() => {
    const s = int(rng, 4, channels === 1 ? 7 : 5);
    return [s, s];
  })();
  const inputShape = [1, channels, ...spatial];
  const convs = int(rng, 1, 2);
  const fcHidden = convs === 2 ? 0 : int(rng, 0, 1);
  const c = new Chain(new OnnxBuilder(), rng, inputShape, gainFor(rng, magnitude, convs + fcHidden + 1));
  for (let l = 0; l < convs; l++) {
    const size = Math.min(...c.shape.slice(2));
    const k = Math.min(size, dims === 1 ? int(rng, 2, 4) : int(rng, 2, 3));
    c.conv(int(rng, 2, 3), k, size > 5 ? int(rng, 1, 2) : 1, int(rng, 0, 1)).relu();
  }
  c.flatten();
  if (fcHidden) c.dense(int(rng, 4, 16)).relu();
  return c.dense(int(rng, 2, 5)).finish(magnitude, inputShape);
}

/**
 * Residual blocks h <- h + F(h), either dense (F = Gemm, ReLU, Gemm) or 1-D
 * convolutional with same padding; the ReLU after the Add is optional
 * (post- and pre-activation residual styles lower differently).
 */
function residual(rng: () => number, magnitude: Magnitude): NetworkCase {
  const blocks = int(rng, 1, 2);
  const reluAfterAdd = rng() < 0.5;
  if (rng() < 0.5) {
    const n = pick(rng, [int(rng, 2, 10), int(rng, 10, 40)]);
    const w = int(rng, 4, 10);
    const c = new Chain(new OnnxBuilder(), rng, [1, n], gainFor(rng, magnitude, 2 * blocks + 2) ** 0.8);
    c.dense(w).relu();
    for (let k = 0; k < blocks; k++) {
      const skip = c.cur;
      c.dense(w).relu().dense(w).add(skip);
      if (reluAfterAdd) c.relu();
    }
    return c.dense(int(rng, 2, 5)).finish(magnitude, [1, n]);
  }
  const L = int(rng, 6, 16);
  const inputShape = [1, 1, L];
  const c = new Chain(new OnnxBuilder(), rng, inputShape, gainFor(rng, magnitude, 2 * blocks + 2) ** 0.8);
  c.conv(2, 3, 1, 1).relu();
  for (let k = 0; k < blocks; k++) {
    const skip = c.cur;
    c.conv(2, 3, 1, 1).relu().conv(2, 3, 1, 1).add(skip);
    if (reluAfterAdd) c.relu();
  }
  return c.flatten().dense(int(rng, 2, 4)).finish(magnitude, inputShape);
}

/** BatchNormalization between the affine layer and its ReLU, after Gemm or Conv. */
function batchnorm(rng: () => number, magnitude: Magnitude): NetworkCase {
  if (rng() < 0.5) {
    const n = pick(rng, [int(rng, 2, 10), int(rng, 10, 50)]);
    const hidden = Array.from({ length: int(rng, 1, 3) }, () => int(rng, 4, 16));
    const c = new Chain(new OnnxBuilder(), rng, [1, n], gainFor(rng, magnitude, hidden.length + 1));
    for (const h of hidden) c.dense(h).batchNorm().relu();
    return c.dense(int(rng, 2, 5)).finish(magnitude, [1, n]);
  }
  const dims = rng() < 0.5 ? 1 : 2;
  const inputShape = dims === 1 ? [1, 1, int(rng, 8, 30)] : [1, 1, 5, 5];
  const c = new Chain(new OnnxBuilder(), rng, inputShape, gainFor(rng, magnitude, 3));
  c.conv(int(rng, 2, 3), 3, 2, 1).batchNorm().relu().flatten().dense(int(rng, 4, 12)).batchNorm().relu();
  return c.dense(int(rng, 2, 5)).finish(magnitude, inputShape);
}

/** Issue 11's kind of network: 1-D or 2-D conv regression, 6 weight layers, 100-400 inputs. */
function regression(rng: () => number, magnitude: Magnitude): NetworkCase {
  const inputShape = rng() < 0.6 ? [1, 1, int(rng, 100, 400)] : (() => {
    const s = int(rng, 10, 20);
    return [1, 1, s, s];
  })();
  const c = new Chain(new OnnxBuilder(), rng, inputShape, gainFor(rng, magnitude, 6));
  c.conv(int(rng, 2, 3), 3, 2, 1).relu().conv(int(rng, 2, 3), 3, 2, 1).relu().flatten();
  c.dense(int(rng, 8, 16)).relu().dense(int(rng, 6, 12)).relu().dense(int(rng, 4, 8)).relu();
  return c.dense(int(rng, 1, 3)).finish(magnitude, inputShape);
}

export function randomNetwork(shape: Shape, rng: () => number, magnitude: Magnitude): NetworkCase {
  switch (shape) {
    case 'fc':
      return fc(rng, magnitude);
    case 'conv1d':
      return conv(rng, magnitude, 1);
    case 'conv2d':
      return conv(rng, magnitude, 2);
    case 'residual':
      return residual(rng, magnitude);
    case 'batchnorm':
      return batchnorm(rng, magnitude);
    case 'regression':
      return regression(rng, magnitude);
  }
}
