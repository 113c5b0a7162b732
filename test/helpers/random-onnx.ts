/**
 * Seeded random ReLU networks written as ONNX bytes: fully connected
 * (Gemm or MatMul+Add) and convolutional (Conv+Relu, then Flatten+Gemm).
 */
import { OnnxBuilder, type ElemType } from './onnx-builder.js';

import { mulberry32 } from '../../src/attack/rng.js';

export { mulberry32 };

export function uniform(rng: () => number, n: number, lo = -1, hi = 1): Float64Array {
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * rng());
}

export interface FcOptions {
  readonly seed: number;
  /** [input, hidden..., output] */
  readonly sizes: readonly number[];
  /** 'gemm': Gemm with transB=1 (PyTorch style); 'matmul': MatMul + Add (TF style). */
  readonly style?: 'gemm' | 'matmul';
  readonly elemType?: ElemType;
  /** Weight scale; the default keeps activations of order 1. */
  readonly scale?: number;
  /** Activation op of the hidden layers (default 'Relu'), with its attributes. */
  readonly activation?: string;
  readonly activationAttrs?: Record<string, number>;
}

export function randomFcOnnx(o: FcOptions): Uint8Array {
  const rng = mulberry32(o.seed);
  const b = new OnnxBuilder({ elemType: o.elemType });
  const style = o.style ?? 'gemm';
  b.input('x', [1, o.sizes[0]]);
  let cur = 'x';
  for (let l = 1; l < o.sizes.length; l++) {
    const [m, n] = [o.sizes[l - 1], o.sizes[l]];
    const s = o.scale ?? 1 / Math.sqrt(m);
    const w = uniform(rng, m * n, -s, s);
    const bias = uniform(rng, n, -0.5, 0.5);
    const y = `fc${l}`;
    if (style === 'gemm') {
      b.init(`W${l}`, w, [n, m]).init(`B${l}`, bias, [n]);
      b.node('Gemm', [cur, `W${l}`, `B${l}`], [y], { transB: 1 });
    } else {
      b.init(`W${l}`, w, [m, n]).init(`B${l}`, bias, [n]);
      b.node('MatMul', [cur, `W${l}`], [`${y}_mm`]).node('Add', [`${y}_mm`, `B${l}`], [y]);
    }
    cur = y;
    if (l < o.sizes.length - 1) {
      b.node(o.activation ?? 'Relu', [cur], [`relu${l}`], o.activationAttrs);
      cur = `relu${l}`;
    }
  }
  b.node('Identity', [cur], ['y']).output('y', [1, o.sizes[o.sizes.length - 1]]);
  return b.build();
}

export interface ConvSpec {
  readonly out: number;
  readonly k: number;
  readonly stride?: number;
  readonly pad?: number;
}

export interface ConvOptions {
  readonly seed: number;
  /** [1, C, H, W] */
  readonly inputShape: readonly [number, number, number, number];
  readonly convs: readonly ConvSpec[];
  /** Sizes of the fully connected layers after Flatten (the last one is the output). */
  readonly fc: readonly number[];
  /** Multiplies every weight's default scale: > 1 gives large activations. */
  readonly gain?: number;
}

export function convOutSize(n: number, c: ConvSpec): number {
  return Math.floor((n + 2 * (c.pad ?? 0) - c.k) / (c.stride ?? 1)) + 1;
}

export function randomConvOnnx(o: ConvOptions): Uint8Array {
  const rng = mulberry32(o.seed);
  const b = new OnnxBuilder();
  b.input('x', o.inputShape);
  let [, c, h, w] = o.inputShape;
  let cur = 'x';
  o.convs.forEach((cv, l) => {
    const s = (o.gain ?? 1) / Math.sqrt(c * cv.k * cv.k);
    b.init(`K${l}`, uniform(rng, cv.out * c * cv.k * cv.k, -s, s), [cv.out, c, cv.k, cv.k]);
    b.init(`KB${l}`, uniform(rng, cv.out, -0.2, 0.2), [cv.out]);
    const p = cv.pad ?? 0;
    b.node('Conv', [cur, `K${l}`, `KB${l}`], [`conv${l}`], {
      kernel_shape: [cv.k, cv.k], strides: [cv.stride ?? 1, cv.stride ?? 1], pads: [p, p, p, p],
    });
    b.node('Relu', [`conv${l}`], [`crelu${l}`]);
    cur = `crelu${l}`;
    [c, h, w] = [cv.out, convOutSize(h, cv), convOutSize(w, cv)];
  });
  b.node('Flatten', [cur], ['flat'], { axis: 1 });
  cur = 'flat';
  let m = c * h * w;
  o.fc.forEach((n, l) => {
    const s = (o.gain ?? 1) / Math.sqrt(m);
    b.init(`F${l}`, uniform(rng, n * m, -s, s), [n, m]).init(`FB${l}`, uniform(rng, n, -0.2, 0.2), [n]);
    b.node('Gemm', [cur, `F${l}`, `FB${l}`], [`g${l}`], { transB: 1 });
    cur = `g${l}`;
    if (l < o.fc.length - 1) {
      b.node('Relu', [cur], [`grelu${l}`]);
      cur = `grelu${l}`;
    }
    m = n;
  });
  b.node('Identity', [cur], ['y']).output('y', [1, m]);
  return b.build();
}
