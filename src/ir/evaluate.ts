/**
 * Float64 forward pass of the graph IR. Output shapes come from the graph's
 * inferred shapes, so the kernels here never re-derive Reshape targets or
 * Slice bounds; the data-movement ops share their index maps with the lowering.
 * `evalNode` is also what the loader's constant folding runs.
 */
import { numel, type Graph, type IRNode, type Tensor } from './graph.js';
import { attrFloat, attrInt, attrTensor } from './attrs.js';
import { convGeometry, forEachConvTap } from './conv.js';
import { broadcastIndex, matmulGeometry } from './indexing.js';
import { DATA_MOVEMENT, movementIndex, shapeBounds } from './params.js';

const floatT = (shape: readonly number[], data: Float64Array): Tensor => ({ kind: 'float', shape: [...shape], data });
const intT = (shape: readonly number[], data: readonly number[]): Tensor => ({ kind: 'int', shape: [...shape], data });

function asFloat(t: Tensor): Float64Array {
  return t.kind === 'float' ? t.data : Float64Array.from(t.data);
}

/** ONNX TensorProto data types that we hold as floats. */
const FLOAT_TYPES = new Set([1, 10, 11, 16]);

const UNARY: Record<string, (v: number) => number> = {
  Relu: (v) => (v > 0 ? v : 0),
  Neg: (v) => -v,
  Abs: (v) => Math.abs(v),
  Sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  Tanh: (v) => Math.tanh(v),
  Sqrt: (v) => Math.sqrt(v),
  Reciprocal: (v) => 1 / v,
};
/** Unary ops that keep integer tensors integer (for shape arithmetic). */
const INT_CLOSED = new Set(['Relu', 'Neg', 'Abs']);

const BINARY: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
};

function binary(op: string, a: Tensor, b: Tensor, out: readonly number[]): Tensor {
  const f = BINARY[op];
  const ia = broadcastIndex(a.shape, out);
  const ib = broadcastIndex(b.shape, out);
  const n = ia.length;
  if (a.kind === 'int' && b.kind === 'int') {
    const r = new Array<number>(n);
    // Integer Div truncates, as ONNX integer division does.
    for (let i = 0; i < n; i++) r[i] = op === 'Div' ? Math.trunc(a.data[ia[i]] / b.data[ib[i]]) : f(a.data[ia[i]], b.data[ib[i]]);
    return intT(out, r);
  }
  const A = asFloat(a);
  const B = asFloat(b);
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = f(A[ia[i]], B[ib[i]]);
  return floatT(out, r);
}

function gemm(node: IRNode, A: Tensor, B: Tensor, C: Tensor | undefined, out: readonly number[]): Tensor {
  const tA = attrInt(node, 'transA', 0) === 1;
  const tB = attrInt(node, 'transB', 0) === 1;
  const alpha = attrFloat(node, 'alpha', 1);
  const beta = attrFloat(node, 'beta', 1);
  const [M, N] = out;
  const K = tA ? A.shape[0] : A.shape[1];
  const a = asFloat(A);
  const b = asFloat(B);
  const r = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[tA ? k * M + i : i * K + k] * b[tB ? j * K + k : k * N + j];
      r[i * N + j] = alpha * s;
    }
  }
  if (C) {
    const ic = broadcastIndex(C.shape, out);
    const c = asFloat(C);
    for (let i = 0; i < r.length; i++) r[i] += beta * c[ic[i]];
  }
  return floatT(out, r);
}

function matmul(A: Tensor, B: Tensor, out: readonly number[]): Tensor {
  const { M, K, N, ia, ib } = matmulGeometry(A.shape, B.shape, out);
  const a = asFloat(A);
  const b = asFloat(B);
  const r = new Float64Array(ia.length * M * N);
  for (let t = 0; t < ia.length; t++) {
    const ao = ia[t] * M * K;
    const bo = ib[t] * K * N;
    const ro = t * M * N;
    for (let i = 0; i < M; i++) {
      for (let k = 0; k < K; k++) {
        const av = a[ao + i * K + k];
        if (av === 0) continue;
        for (let j = 0; j < N; j++) r[ro + i * N + j] += av * b[bo + k * N + j];
      }
    }
  }
  return floatT(out, r);
}

function conv(node: IRNode, X: Tensor, W: Tensor, Bias: Tensor | undefined): Tensor {
  const g = convGeometry(node, X.shape, W.shape);
  const x = asFloat(X);
  const w = asFloat(W);
  const bias = Bias ? asFloat(Bias) : undefined;
  const r = new Float64Array(numel(g.outShape));
  forEachConvTap(
    g,
    (o, co) => {
      r[o] = bias ? bias[co] : 0;
    },
    (o, i, k) => {
      r[o] += w[k] * x[i];
    },
  );
  return floatT(g.outShape, r);
}

/** Per-channel (axis 1) scale and shift of an inference-mode BatchNormalization. */
export function batchNormAffine(node: IRNode, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor): { a: Float64Array; c: Float64Array } {
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const s = asFloat(scale);
  const b = asFloat(bias);
  const m = asFloat(mean);
  const v = asFloat(variance);
  const a = new Float64Array(s.length);
  const c = new Float64Array(s.length);
  for (let i = 0; i < s.length; i++) {
    a[i] = s[i] / Math.sqrt(v[i] + eps);
    c[i] = b[i] - a[i] * m[i];
  }
  return { a, c };
}

function batchNorm(node: IRNode, ins: readonly (Tensor | undefined)[]): Tensor {
  const X = ins[0] as Tensor;
  const { a, c } = batchNormAffine(node, ins[1] as Tensor, ins[2] as Tensor, ins[3] as Tensor, ins[4] as Tensor);
  const C = X.shape[1];
  const inner = numel(X.shape.slice(2));
  const x = asFloat(X);
  const r = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const ch = Math.floor(i / inner) % C;
    r[i] = a[ch] * x[i] + c[ch];
  }
  return floatT(X.shape, r);
}

function constant(node: IRNode): Tensor {
  const t = attrTensor(node, 'value');
  if (t) return t;
  const a = node.attrs.get('value_float') ?? node.attrs.get('value_floats') ?? node.attrs.get('value_int') ?? node.attrs.get('value_ints');
  if (a?.kind === 'float') return floatT([], Float64Array.of(a.value));
  if (a?.kind === 'floats') return floatT([a.value.length], Float64Array.from(a.value));
  if (a?.kind === 'int') return intT([], [a.value]);
  if (a?.kind === 'ints') return intT([a.value.length], [...a.value]);
  throw new Error('Constant without a supported value attribute');
}

function cast(node: IRNode, X: Tensor): Tensor {
  const to = attrInt(node, 'to', 1);
  if (FLOAT_TYPES.has(to)) return floatT(X.shape, asFloat(X));
  // Float -> int casts truncate toward zero; bool is 0/1.
  const vals = Array.from(X.data as ArrayLike<number>, (v) => (to === 9 ? (v !== 0 ? 1 : 0) : Math.trunc(v)));
  return intT(X.shape, vals);
}

function movement(node: IRNode, ins: readonly (Tensor | undefined)[], out: readonly number[]): Tensor {
  const X = ins[0] as Tensor;
  const shapes = node.op === 'Concat' ? ins.map((t) => (t as Tensor).shape) : [X.shape];
  const idx = movementIndex(node, shapes, out, (i) => ins[i]);
  if (idx === null) return X.kind === 'float' ? floatT(out, X.data) : intT(out, X.data);
  const sources = node.op === 'Concat' ? (ins as Tensor[]) : [X];
  if (sources.every((t) => t.kind === 'int')) {
    const all = sources.flatMap((t) => t.data as number[]);
    return intT(out, Array.from(idx, (i) => all[i]));
  }
  const all = new Float64Array(sources.reduce((n, t) => n + t.data.length, 0));
  let off = 0;
  for (const t of sources) {
    all.set(asFloat(t), off);
    off += t.data.length;
  }
  const r = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) r[i] = all[idx[i]];
  return floatT(out, r);
}

/**
 * Evaluate one node. `ins[i]` is undefined for omitted optional inputs;
 * `outShapes` are the node's inferred output shapes.
 */
export function evalNode(node: IRNode, ins: readonly (Tensor | undefined)[], outShapes: readonly (readonly number[])[]): Tensor[] {
  const op = node.op;
  const X = ins[0] as Tensor;
  const out = outShapes[0];
  if (op in UNARY) {
    const f = UNARY[op];
    if (X.kind === 'int' && INT_CLOSED.has(op)) return [intT(X.shape, X.data.map(f))];
    return [floatT(X.shape, asFloat(X).map(f))];
  }
  if (op in BINARY) return [binary(op, X, ins[1] as Tensor, out)];
  if (op === 'Dropout') {
    const res = [movement(node, ins, out)];
    // The optional mask output: all ones (nothing dropped at inference).
    if (node.outputs.length > 1) res.push(intT(outShapes[1], new Array<number>(numel(outShapes[1])).fill(1)));
    return res;
  }
  if (DATA_MOVEMENT.has(op)) return [movement(node, ins, out)];
  switch (op) {
    case 'Gemm':
      return [gemm(node, X, ins[1] as Tensor, ins[2], out)];
    case 'MatMul':
      return [matmul(X, ins[1] as Tensor, out)];
    case 'Conv':
      return [conv(node, X, ins[1] as Tensor, ins[2])];
    case 'BatchNormalization':
      return [batchNorm(node, ins)];
    case 'Constant':
      return [constant(node)];
    case 'Cast':
      return [cast(node, X)];
    case 'Shape':
      return [intT(out, X.shape.slice(...shapeBounds(node, X.shape.length)))];
    default:
      throw new Error(`evaluate: node '${node.name}' has unsupported op ${op}`);
  }
}

/** Forward pass in float64; returns output 0 flattened. A bare array feeds input 0. */
export function evaluateGraph(graph: Graph, inputs: Map<string, Float64Array> | Float64Array): Float64Array {
  const env = new Map<string, Tensor>(graph.constants);
  graph.inputs.forEach((vi, k) => {
    const data = inputs instanceof Float64Array ? (k === 0 ? inputs : undefined) : inputs.get(vi.name);
    if (!data) throw new Error(`${graph.source}: no value given for input '${vi.name}'`);
    if (data.length !== numel(vi.shape)) throw new Error(`${graph.source}: input '${vi.name}' has ${data.length} values, expected ${numel(vi.shape)} ([${vi.shape}])`);
    env.set(vi.name, floatT(vi.shape, data));
  });
  for (const node of graph.nodes) {
    const ins = node.inputs.map((n) => (n === '' ? undefined : env.get(n)));
    const outShapes = node.outputs.map((o) => graph.shapes.get(o) ?? []);
    const outs = evalNode(node, ins, outShapes);
    node.outputs.forEach((o, i) => {
      if (o !== '' && outs[i]) env.set(o, outs[i]);
    });
  }
  const y = env.get(graph.outputs[0].name);
  if (!y) throw new Error(`${graph.source}: output '${graph.outputs[0].name}' was not computed`);
  return asFloat(y);
}
