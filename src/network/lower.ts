/**
 * Graph IR -> LayeredNet. Every non-constant value is tracked as an affine
 * map of the current layer's variables (the base). Linear ops compose into
 * those maps; a Relu closes a layer: its input's map becomes the layer's
 * {W, b} and the ReLU outputs become the next base. Values still needed
 * after the Relu (skip connections) are carried through the layer as identity
 * neurons, so DAGs of ReLUs and linear ops lower exactly.
 */
import { numel, type Graph, type IRNode, type Tensor } from '../ir/graph.js';
import { attrFloat, attrInt } from '../ir/attrs.js';
import { convGeometry, forEachConvTap } from '../ir/conv.js';
import { batchNormAffine } from '../ir/evaluate.js';
import { broadcastIndex, matmulGeometry } from '../ir/indexing.js';
import { DATA_MOVEMENT, movementIndex } from '../ir/params.js';
import { OnnxError } from '../onnx/errors.js';
import { withActivations, type AffineLayer, type LayeredNet } from './layered.js';
import { activationForOp, identity as identityAct, type Activation } from './activations/registry.js';
import {
  addMaps, combineRows, constantMap, gatherRows, identityMap, scaleShift, shiftColumns, stackMaps, toDense,
  type AffineMap,
} from './affine-map.js';

class NotLinear extends Error {}

function floatData(t: Tensor): Float64Array {
  return t.kind === 'float' ? t.data : Float64Array.from(t.data);
}

interface Ctx {
  readonly graph: Graph;
  readonly maps: Map<string, AffineMap>;
  readonly cols: number;
}

type Operand = { readonly map?: AffineMap; readonly c?: Tensor; readonly shape: readonly number[] };

function operand(ctx: Ctx, name: string): Operand {
  const shape = ctx.graph.shapes.get(name) ?? [];
  const c = ctx.graph.constants.get(name);
  if (c) return { c, shape };
  const map = ctx.maps.get(name);
  if (!map) throw new NotLinear(`value '${name}' is not available in the current layer`);
  return { map, shape };
}

/** An operand's map broadcast to `out` (constants become constant maps). */
function broadcastMap(ctx: Ctx, x: Operand, out: readonly number[]): AffineMap {
  const m = x.map ?? constantMap(ctx.cols, floatData(x.c as Tensor));
  if (x.shape.length === out.length && x.shape.every((d, i) => d === out[i])) return m;
  return gatherRows(m, broadcastIndex(x.shape, out));
}

function broadcastConst(c: Tensor, out: readonly number[]): Float64Array {
  const d = floatData(c);
  const idx = broadcastIndex(c.shape, out);
  return Float64Array.from(idx, (i) => d[i]);
}

function binary(ctx: Ctx, node: IRNode, a: Operand, b: Operand, out: readonly number[]): AffineMap {
  const op = node.op;
  if (op === 'Add' || op === 'Sub') {
    const sign = op === 'Add' ? 1 : -1;
    if (a.map && b.c) return scaleShift(broadcastMap(ctx, a, out), 1, Float64Array.from(broadcastConst(b.c, out), (v) => sign * v));
    if (a.c && b.map) return scaleShift(broadcastMap(ctx, b, out), sign, broadcastConst(a.c, out));
    return addMaps(broadcastMap(ctx, a, out), broadcastMap(ctx, b, out), sign);
  }
  // Mul / Div: linear only with a constant factor (divisor).
  if (a.map && b.c) {
    const f = broadcastConst(b.c, out);
    return scaleShift(broadcastMap(ctx, a, out), op === 'Mul' ? f : f.map((v) => 1 / v));
  }
  if (op === 'Mul' && a.c && b.map) return scaleShift(broadcastMap(ctx, b, out), broadcastConst(a.c, out));
  throw new NotLinear(op === 'Mul' ? 'product of two network values is not piecewise linear' : 'division by a network value is not piecewise linear');
}

/** out[t,i,j] = sum_k A[t,i,k] B[t,k,j] with exactly one of A, B affine (MatMul and Gemm). */
function bilinear(
  a: Operand,
  b: Operand,
  M: number, K: number, N: number,
  batches: number,
  aIndex: (t: number, i: number, k: number) => number,
  bIndex: (t: number, k: number, j: number) => number,
  alpha: number,
  bias: Float64Array,
): AffineMap {
  if (a.map && b.map) throw new NotLinear('product of two network values is not piecewise linear');
  const rows = batches * M * N;
  if (a.map) {
    const B = floatData(b.c as Tensor);
    return combineRows(a.map, rows, bias, (add) => {
      for (let t = 0; t < batches; t++)
        for (let i = 0; i < M; i++)
          for (let j = 0; j < N; j++) {
            const o = (t * M + i) * N + j;
            for (let k = 0; k < K; k++) {
              const w = B[bIndex(t, k, j)];
              if (w !== 0) add(o, aIndex(t, i, k), alpha * w);
            }
          }
    });
  }
  const A = floatData(a.c as Tensor);
  return combineRows(b.map as AffineMap, rows, bias, (add) => {
    for (let t = 0; t < batches; t++)
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          const o = (t * M + i) * N + j;
          for (let k = 0; k < K; k++) {
            const w = A[aIndex(t, i, k)];
            if (w !== 0) add(o, bIndex(t, k, j), alpha * w);
          }
        }
  });
}

function matmul(a: Operand, b: Operand, out: readonly number[]): AffineMap {
  const { M, K, N, ia: ta, ib: tb } = matmulGeometry(a.shape, b.shape, out);
  return bilinear(a, b, M, K, N, ta.length,
    (t, i, k) => (ta[t] * M + i) * K + k,
    (t, k, j) => (tb[t] * K + k) * N + j,
    1, new Float64Array(ta.length * M * N));
}

function gemm(ctx: Ctx, node: IRNode, a: Operand, b: Operand, c: Operand | undefined, out: readonly number[]): AffineMap {
  const tA = attrInt(node, 'transA', 0) === 1;
  const tB = attrInt(node, 'transB', 0) === 1;
  const [M, N] = out;
  const K = tA ? a.shape[0] : a.shape[1];
  const beta = attrFloat(node, 'beta', 1);
  let bias = new Float64Array(M * N);
  if (c?.c) bias = broadcastConst(c.c, out).map((v) => beta * v);
  const m = bilinear(a, b, M, K, N, 1,
    (_t, i, k) => (tA ? k * M + i : i * K + k),
    (_t, k, j) => (tB ? j * K + k : k * N + j),
    attrFloat(node, 'alpha', 1), bias);
  // A network-valued C (rare: a residual added inside Gemm) is summed in.
  return c?.map ? addMaps(m, scaleShift(broadcastMap(ctx, c, out), beta), 1) : m;
}

function conv(node: IRNode, x: Operand, w: Operand, bias: Operand | undefined): AffineMap {
  if (!x.map || !w.c || (bias && !bias.c)) throw new NotLinear('Conv is linear only with constant weights and bias');
  const g = convGeometry(node, x.shape, w.shape);
  const W = floatData(w.c);
  const rows = numel(g.outShape);
  const b0 = new Float64Array(rows);
  if (bias?.c) {
    const B = floatData(bias.c);
    const plane = rows / (g.batch * g.cout);
    for (let o = 0; o < rows; o++) b0[o] = B[Math.floor(o / plane) % g.cout];
  }
  // The dense conv matrix is filled tap by tap straight from the kernel.
  return combineRows(x.map, rows, b0, (add) => {
    forEachConvTap(g, () => {}, (o, i, k) => add(o, i, W[k]));
  });
}

const RESHAPES = new Set(['Identity', 'Dropout', 'Flatten', 'Reshape', 'Squeeze', 'Unsqueeze']);

/** The map of a linear node's output 0 in the current base. */
function lowerNode(ctx: Ctx, node: IRNode): AffineMap {
  const out = ctx.graph.shapes.get(node.outputs[0]) ?? [];
  const ins = node.inputs.map((n) => (n === '' ? undefined : operand(ctx, n)));
  const x = ins[0] as Operand;
  const needMap = () => {
    if (!x.map) throw new NotLinear('input 0 is not a network value');
    return x.map;
  };
  if (RESHAPES.has(node.op)) return needMap();
  if (DATA_MOVEMENT.has(node.op)) {
    const given = ins as Operand[];
    const source = node.op === 'Concat'
      ? stackMaps(given.map((o) => o.map ?? constantMap(ctx.cols, floatData(o.c as Tensor))))
      : needMap();
    const idx = movementIndex(node, given.map((o) => o.shape), out, (i) => ctx.graph.constants.get(node.inputs[i]));
    return idx ? gatherRows(source, idx) : source;
  }
  switch (node.op) {
    case 'Neg':
      return scaleShift(needMap(), -1);
    case 'Add': case 'Sub': case 'Mul': case 'Div':
      return binary(ctx, node, x, ins[1] as Operand, out);
    case 'MatMul':
      return matmul(x, ins[1] as Operand, out);
    case 'Gemm':
      return gemm(ctx, node, x, ins[1] as Operand, ins[2], out);
    case 'Conv':
      return conv(node, x, ins[1] as Operand, ins[2]);
    case 'BatchNormalization': {
      const p = ins.slice(1, 5) as Operand[];
      if (p.some((o) => !o.c)) throw new NotLinear('BatchNormalization parameters must be constant');
      const { a, c } = batchNormAffine(node, p[0].c!, p[1].c!, p[2].c!, p[3].c!);
      const C = x.shape[1];
      const inner = numel(x.shape.slice(2));
      const m = needMap();
      const ch = (r: number) => Math.floor(r / inner) % C;
      return scaleShift(m, Float64Array.from({ length: m.rows }, (_, r) => a[ch(r)]), Float64Array.from({ length: m.rows }, (_, r) => c[ch(r)]));
    }
    case 'Cast': {
      const to = attrInt(node, 'to', 1);
      if (to === 1 || to === 10 || to === 11 || to === 16) return needMap();
      throw new NotLinear('cast of a network value to an integer type');
    }
    default:
      throw new NotLinear(`op ${node.op} is not piecewise linear; it is neither affine nor an activation of src/network/activations`);
  }
}

export function lowerToLayered(graph: Graph): LayeredNet {
  if (graph.inputs.length !== 1) {
    throw new OnnxError(graph.source, undefined, `a LayeredNet needs exactly one real input, the model has ${graph.inputs.length}`);
  }
  const input = graph.inputs[0];
  const inputDim = numel(input.shape);
  const outName = graph.outputs[0].name;
  const lastUse = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.inputs.forEach((x) => lastUse.set(x, i)));
  lastUse.set(outName, Infinity);

  const layers: AffineLayer[] = [];
  let ctx: Ctx = { graph, maps: new Map([[input.name, identityMap(inputDim)]]), cols: inputDim };
  graph.nodes.forEach((node, i) => {
    try {
      const act = activationForOp(node.op, (name, fallback) => attrFloat(node, name, fallback));
      if (act) {
        const u = operand(ctx, node.inputs[0]);
        if (!u.map) throw new NotLinear(`${node.op} of a constant should have been folded`);
        ctx = closeLayer(ctx, node, u.map, act, i, lastUse, layers);
      } else {
        const m = lowerNode(ctx, node);
        if (m.rows !== numel(graph.shapes.get(node.outputs[0]) ?? [])) throw new Error(`internal: ${m.rows} rows for shape [${graph.shapes.get(node.outputs[0])}]`);
        ctx.maps.set(node.outputs[0], m);
      }
    } catch (e) {
      if (e instanceof OnnxError) throw e;
      throw new OnnxError(graph.source, node, `cannot lower to a layered network: ${(e as Error).message}`);
    }
    for (const x of node.inputs) if (lastUse.get(x) === i) ctx.maps.delete(x);
  });

  const c = graph.constants.get(outName);
  const outMap = c ? constantMap(ctx.cols, floatData(c)) : ctx.maps.get(outName);
  if (!outMap) throw new OnnxError(graph.source, undefined, `output '${outName}' was not computed`);
  layers.push({ inDim: ctx.cols, outDim: outMap.rows, W: toDense(outMap), b: Float64Array.from(outMap.b) });
  checkFiniteLayers(layers, graph.source);
  return { inputShape: [...input.shape], inputDim, outputDim: outMap.rows, layers };
}

/**
 * The loader has checked every weight is finite (src/onnx/finite.ts), but
 * composing linear ops without a ReLU between them multiplies weights: huge
 * ones can overflow float64 here, and NaN bounds would follow.
 */
function checkFiniteLayers(layers: readonly AffineLayer[], source: string): void {
  layers.forEach((l, k) => {
    for (const a of [l.W, l.b]) {
      for (let i = 0; i < a.length; i++) {
        if (!Number.isFinite(a[i])) {
          throw new OnnxError(source, undefined, `layer ${k} of the lowered network has a non-finite weight (${a[i]}): the model's weights overflow float64 when its linear ops are composed`);
        }
      }
    }
  });
}

/**
 * Emit the layer that ends at Relu `node`: its ReLU neurons are `u`, followed by
 * identity neurons that carry every value still needed later, either the values
 * themselves or, when that is narrower, the base variables they depend on.
 */
function closeLayer(ctx: Ctx, node: IRNode, u: AffineMap, act: Activation, i: number, lastUse: Map<string, number>, layers: AffineLayer[]): Ctx {
  const live = [...ctx.maps.entries()].filter(([name]) => (lastUse.get(name) ?? -1) > i);
  const carriedRows = live.reduce((s, [, m]) => s + m.rows, 0);
  const carryValues = carriedRows <= ctx.cols;
  const parts = [u, ...(live.length === 0 ? [] : carryValues ? live.map(([, m]) => m) : [identityMap(ctx.cols)])];
  const stacked = stackMaps(parts);
  const outDim = stacked.rows;
  const perNeuron = Array.from({ length: outDim }, (_, j) => (j < u.rows ? act : identityAct));
  layers.push({ inDim: ctx.cols, outDim, W: toDense(stacked), b: Float64Array.from(stacked.b), ...withActivations(perNeuron) });
  const maps = new Map<string, AffineMap>([[node.outputs[0], identityMap(u.rows, 0, outDim)]]);
  let off = u.rows;
  for (const [name, m] of live) {
    if (carryValues) {
      maps.set(name, identityMap(m.rows, off, outDim));
      off += m.rows;
    } else {
      maps.set(name, shiftColumns(m, outDim, u.rows));
    }
  }
  return { graph: ctx.graph, maps, cols: outDim };
}
