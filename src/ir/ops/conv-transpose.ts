/**
 * ConvTranspose (1-D and 2-D; strides, pads, output_padding, dilations,
 * group, bias; output_shape with the ONNX padding rule). Weight layout
 * [Cin, Cout/group, k...]; input element (ci, iy, ix) adds w * x to output
 * (co, iy*stride - padBegin + ky*dil, ...).
 */
import { numel, type IRNode } from '../graph.js';
import { attrInt, attrInts, attrString } from '../attrs.js';
import { combineRows } from '../../network/affine-map.js';
import { channelBiasRows } from '../conv.js';
import { asFloat, floatT, NotLinear, type OpModule, type Shape } from './op.js';

interface Geom {
  readonly batch: number; readonly cin: number; readonly cout: number; readonly group: number;
  readonly inH: number; readonly inW: number; readonly kH: number; readonly kW: number;
  readonly outH: number; readonly outW: number;
  readonly sH: number; readonly sW: number; readonly dH: number; readonly dW: number;
  readonly pT: number; readonly pL: number;
  readonly outShape: readonly number[];
}

function geometry(node: IRNode, x: Shape, w: Shape): Geom {
  const sp = x.length - 2;
  if (sp < 1 || sp > 2) throw new Error(`ConvTranspose with ${sp} spatial dimensions is not supported (1-D and 2-D only)`);
  if (w.length !== x.length) throw new Error(`ConvTranspose weight rank ${w.length} != input rank ${x.length}`);
  const group = attrInt(node, 'group', 1);
  const [batch, cin] = x;
  if (w[0] !== cin) throw new Error(`ConvTranspose weight has ${w[0]} input channels, input has ${cin}`);
  if (cin % group !== 0) throw new Error(`ConvTranspose input channels ${cin} not divisible by group ${group}`);
  const cout = w[1] * group;
  const kernel = attrInts(node, 'kernel_shape') ?? w.slice(2);
  const strides = attrInts(node, 'strides') ?? new Array(sp).fill(1);
  const dil = attrInts(node, 'dilations') ?? new Array(sp).fill(1);
  const outPad = attrInts(node, 'output_padding') ?? new Array(sp).fill(0);
  let pads = [...(attrInts(node, 'pads') ?? new Array(2 * sp).fill(0))];
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const outGiven = attrInts(node, 'output_shape');
  const inSp = x.slice(2);
  const full = inSp.map((d, a) => strides[a] * (d - 1) + outPad[a] + (kernel[a] - 1) * dil[a] + 1);
  if (outGiven || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const target = outGiven ? outGiven.slice(-sp) : inSp.map((d, a) => d * strides[a]);
    const total = full.map((f, a) => f - target[a]);
    const upper = autoPad === 'SAME_UPPER';
    pads = [...total.map((t) => (upper ? Math.floor(t / 2) : t - Math.floor(t / 2))), ...total.map((t) => (upper ? t - Math.floor(t / 2) : Math.floor(t / 2)))];
  } else if (autoPad === 'VALID') {
    pads = new Array(2 * sp).fill(0);
  } else if (autoPad !== 'NOTSET') {
    throw new Error(`ConvTranspose auto_pad '${autoPad}' is not supported`);
  }
  const out = full.map((f, a) => f - pads[a] - pads[sp + a]);
  if (out.some((d) => d <= 0)) throw new Error('ConvTranspose output would be empty');
  const two = (v: readonly number[], fill: number) => (sp === 1 ? [fill, v[0]] : [v[0], v[1]]);
  const [inH, inW] = two(inSp, 1);
  const [kH, kW] = two(kernel, 1);
  const [sH, sW] = two(strides, 1);
  const [dH, dW] = two(dil, 1);
  const [pT, pL] = two(pads.slice(0, sp), 0);
  const [outH, outW] = two(out, 1);
  return { batch, cin, cout, group, inH, inW, kH, kW, outH, outW, sH, sW, dH, dW, pT, pL, outShape: [batch, cout, ...out] };
}

/** fn(out, inp, w) for every tap out[out] += W[w] * x[inp]. */
function forEachTap(g: Geom, fn: (out: number, inp: number, w: number) => void): void {
  const cinG = g.cin / g.group;
  const coutG = g.cout / g.group;
  const kPlane = g.kH * g.kW;
  const outPlane = g.outH * g.outW;
  for (let n = 0; n < g.batch; n++)
    for (let ci = 0; ci < g.cin; ci++) {
      const grp = Math.floor(ci / cinG);
      for (let iy = 0; iy < g.inH; iy++)
        for (let ix = 0; ix < g.inW; ix++) {
          const inp = ((n * g.cin + ci) * g.inH + iy) * g.inW + ix;
          for (let cl = 0; cl < coutG; cl++) {
            const co = grp * coutG + cl;
            const oBase = (n * g.cout + co) * outPlane;
            const wBase = (ci * coutG + cl) * kPlane;
            for (let ky = 0; ky < g.kH; ky++) {
              const oy = iy * g.sH - g.pT + ky * g.dH;
              if (oy < 0 || oy >= g.outH) continue;
              for (let kx = 0; kx < g.kW; kx++) {
                const ox = ix * g.sW - g.pL + kx * g.dW;
                if (ox < 0 || ox >= g.outW) continue;
                fn(oBase + oy * g.outW + ox, inp, wBase + ky * g.kW + kx);
              }
            }
          }
        }
    }
}

export const convTranspose: OpModule = {
  ops: ['ConvTranspose'],
  shape: (node, s) => [[...geometry(node, s[0] as Shape, s[1] as Shape).outShape]],
  evaluate(node, ins) {
    const [X, W, B] = ins;
    const g = geometry(node, X!.shape, W!.shape);
    const x = asFloat(X!);
    const w = asFloat(W!);
    const r = channelBiasRows(g.outShape, B ? asFloat(B) : undefined);
    forEachTap(g, (o, i, k) => {
      r[o] += w[k] * x[i];
    });
    return [floatT(g.outShape, r)];
  },
  lower(ctx) {
    const x = ctx.need(0);
    const w = ctx.need(1);
    const bias = ctx.input(2);
    if (!x.map || !w.c || (bias && !bias.c)) throw new NotLinear('ConvTranspose is linear only with constant weights and bias');
    const g = geometry(ctx.node, x.shape, w.shape);
    const W = asFloat(w.c);
    return [combineRows(x.map, numel(g.outShape), channelBiasRows(g.outShape, bias?.c ? asFloat(bias.c) : undefined), (add) => {
      forEachTap(g, (o, i, k) => add(o, i, W[k]));
    })];
  },
};
