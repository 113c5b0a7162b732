/**
 * Geometry of an ONNX Conv (1-D or 2-D, any group) and an iterator over its
 * taps. The evaluator and the lowering both walk the same taps, so the dense
 * matrix the lowering materialises is by construction the evaluator's conv.
 */
import { numel, type IRNode } from './graph.js';
import { attrInt, attrInts, attrString } from './attrs.js';

export interface ConvGeom {
  readonly batch: number;
  readonly cin: number;
  readonly cout: number;
  readonly group: number;
  /** Spatial sizes as 2-D (a 1-D conv has height 1). */
  readonly inH: number;
  readonly inW: number;
  readonly kH: number;
  readonly kW: number;
  readonly outH: number;
  readonly outW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly dilH: number;
  readonly dilW: number;
  readonly padTop: number;
  readonly padLeft: number;
  /** Output shape in the conv's own rank (N, Cout, spatial...). */
  readonly outShape: readonly number[];
}

function axisGeometry(
  inSize: number,
  k: number,
  stride: number,
  dil: number,
  padBegin: number,
  padEnd: number,
  autoPad: string,
): { out: number; begin: number } {
  const span = (k - 1) * dil + 1;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const out = Math.ceil(inSize / stride);
    const total = Math.max(0, (out - 1) * stride + span - inSize);
    const begin = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
    return { out, begin };
  }
  if (autoPad === 'VALID') return { out: Math.floor((inSize - span) / stride) + 1, begin: 0 };
  return { out: Math.floor((inSize + padBegin + padEnd - span) / stride) + 1, begin: padBegin };
}

export function convGeometry(node: IRNode, xShape: readonly number[], wShape: readonly number[]): ConvGeom {
  const sp = xShape.length - 2;
  if (sp < 1 || sp > 2) throw new Error(`Conv with ${sp} spatial dimensions is not supported (1-D and 2-D only)`);
  if (wShape.length !== xShape.length) throw new Error(`Conv weight rank ${wShape.length} != input rank ${xShape.length}`);
  const group = attrInt(node, 'group', 1);
  const [batch, cin] = xShape;
  const cout = wShape[0];
  if (wShape[1] * group !== cin) throw new Error(`Conv weight has ${wShape[1]} input channels per group, input has ${cin} channels, group ${group}`);
  if (cout % group !== 0) throw new Error(`Conv output channels ${cout} not divisible by group ${group}`);
  const kernel = attrInts(node, 'kernel_shape') ?? wShape.slice(2);
  const strides = attrInts(node, 'strides') ?? new Array(sp).fill(1);
  const dil = attrInts(node, 'dilations') ?? new Array(sp).fill(1);
  const pads = attrInts(node, 'pads') ?? new Array(2 * sp).fill(0);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  // Lift 1-D to 2-D with a height of 1 so one loop nest serves both.
  const two = (v: readonly number[], fill: number) => (sp === 1 ? [fill, v[0]] : [v[0], v[1]]);
  const inSp = two(xShape.slice(2), 1);
  const kSp = two(kernel, 1);
  const st = two(strides, 1);
  const dl = two(dil, 1);
  const pb = two(pads.slice(0, sp), 0);
  const pe = two(pads.slice(sp), 0);
  const gH = axisGeometry(inSp[0], kSp[0], st[0], dl[0], pb[0], pe[0], autoPad);
  const gW = axisGeometry(inSp[1], kSp[1], st[1], dl[1], pb[1], pe[1], autoPad);
  if (gH.out <= 0 || gW.out <= 0) throw new Error('Conv output would be empty');
  const outShape = sp === 1 ? [batch, cout, gW.out] : [batch, cout, gH.out, gW.out];
  return {
    batch, cin, cout, group,
    inH: inSp[0], inW: inSp[1], kH: kSp[0], kW: kSp[1],
    outH: gH.out, outW: gW.out,
    strideH: st[0], strideW: st[1], dilH: dl[0], dilW: dl[1],
    padTop: gH.begin, padLeft: gW.begin,
    outShape,
  };
}

/**
 * Calls fn(out, inp, w) for every tap with out[out] += w[w] * x[inp], where the
 * flat indices are into the output, the input and the weight tensors. Taps of
 * one output element are consecutive; `startOut(out, co)` is called first for each.
 */
export function forEachConvTap(
  g: ConvGeom,
  startOut: (out: number, co: number) => void,
  tap: (out: number, inp: number, w: number) => void,
): void {
  const cinG = g.cin / g.group;
  const coutG = g.cout / g.group;
  const inPlane = g.inH * g.inW;
  const kPlane = g.kH * g.kW;
  let out = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let co = 0; co < g.cout; co++) {
      const ciBase = Math.floor(co / coutG) * cinG;
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++, out++) {
          startOut(out, co);
          for (let cl = 0; cl < cinG; cl++) {
            const inC = (n * g.cin + ciBase + cl) * inPlane;
            const wC = (co * cinG + cl) * kPlane;
            for (let ky = 0; ky < g.kH; ky++) {
              const iy = oy * g.strideH - g.padTop + ky * g.dilH;
              if (iy < 0 || iy >= g.inH) continue;
              for (let kx = 0; kx < g.kW; kx++) {
                const ix = ox * g.strideW - g.padLeft + kx * g.dilW;
                if (ix < 0 || ix >= g.inW) continue;
                tap(out, inC + iy * g.inW + ix, wC + ky * g.kW + kx);
              }
            }
          }
        }
      }
    }
  }
}

/** A per-channel bias broadcast over an output of shape [N, C, ...spatial] (zeros without one). */
export function channelBiasRows(outShape: readonly number[], bias: Float64Array | undefined): Float64Array {
  const b = new Float64Array(numel(outShape));
  if (!bias) return b;
  const plane = numel(outShape.slice(2));
  const C = outShape[1];
  for (let o = 0; o < b.length; o++) b[o] = bias[Math.floor(o / plane) % C];
  return b;
}
