/**
 * ONNX bytes -> Graph IR: decode with onnx-proto, convert initializers and
 * attributes, resolve the real inputs' shapes (symbolic and zero dimensions
 * become 1), sort the nodes, then infer shapes and fold constants (fold.ts).
 */
import onnxProto from 'onnx-proto';
import type { AttrValue, Graph, IRNode, Tensor, ValueInfo } from '../ir/graph.js';
import { InputFileError, MAX_ONNX_BYTES, readInputBytes } from '../util/input-file.js';
import { echo } from '../util/user-text.js';
import { OnnxError } from './errors.js';
import { checkFiniteAttributes, checkFiniteConstants } from './finite.js';
import { checkTensorSize, foldConstants } from './fold.js';

export { OnnxError } from './errors.js';

const P = onnxProto.onnx;
type TensorProto = InstanceType<typeof P.TensorProto>;
type ValueInfoProto = InstanceType<typeof P.ValueInfoProto>;
type NodeProto = InstanceType<typeof P.NodeProto>;

const DT = P.TensorProto.DataType;
const ELEM_NAMES: Record<number, string> = {
  [DT.FLOAT]: 'float32', [DT.DOUBLE]: 'float64', [DT.FLOAT16]: 'float16', [DT.BFLOAT16]: 'bfloat16',
  [DT.INT64]: 'int64', [DT.INT32]: 'int32', [DT.INT16]: 'int16', [DT.INT8]: 'int8',
  [DT.UINT64]: 'uint64', [DT.UINT32]: 'uint32', [DT.UINT16]: 'uint16', [DT.UINT8]: 'uint8', [DT.BOOL]: 'bool',
};

/** protobufjs gives int64 fields as Long objects (or numbers when Long is absent). */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && 'low' in v && 'high' in v) {
    const { low, high, unsigned } = v as { low: number; high: number; unsigned?: boolean };
    return unsigned ? (high >>> 0) * 4294967296 + (low >>> 0) : high * 4294967296 + (low >>> 0);
  }
  throw new Error(`not an integer: ${String(v)}`);
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Little-endian reads of raw_data, whatever the host's byte order. */
function readRaw(raw: Uint8Array, type: number, n: number): number[] | Float64Array {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const size = { [DT.FLOAT]: 4, [DT.DOUBLE]: 8, [DT.INT64]: 8, [DT.UINT64]: 8, [DT.INT32]: 4, [DT.UINT32]: 4, [DT.INT16]: 2, [DT.UINT16]: 2, [DT.FLOAT16]: 2, [DT.BFLOAT16]: 2, [DT.INT8]: 1, [DT.UINT8]: 1, [DT.BOOL]: 1 }[type];
  if (!size) throw new Error(`data type ${type} is not supported`);
  if (raw.byteLength !== n * size) throw new Error(`raw_data has ${raw.byteLength} bytes, expected ${n * size}`);
  const read: (o: number) => number = {
    [DT.FLOAT]: (o: number) => dv.getFloat32(o, true),
    [DT.DOUBLE]: (o: number) => dv.getFloat64(o, true),
    [DT.INT64]: (o: number) => Number(dv.getBigInt64(o, true)),
    [DT.UINT64]: (o: number) => Number(dv.getBigUint64(o, true)),
    [DT.INT32]: (o: number) => dv.getInt32(o, true),
    [DT.UINT32]: (o: number) => dv.getUint32(o, true),
    [DT.INT16]: (o: number) => dv.getInt16(o, true),
    [DT.UINT16]: (o: number) => dv.getUint16(o, true),
    [DT.FLOAT16]: (o: number) => halfToFloat(dv.getUint16(o, true)),
    [DT.BFLOAT16]: (o: number) => new Float32Array(new Uint32Array([dv.getUint16(o, true) << 16]).buffer)[0],
    [DT.INT8]: (o: number) => dv.getInt8(o),
    [DT.UINT8]: (o: number) => dv.getUint8(o),
    [DT.BOOL]: (o: number) => dv.getUint8(o),
  }[type]!;
  const isFloat = type === DT.FLOAT || type === DT.DOUBLE || type === DT.FLOAT16 || type === DT.BFLOAT16;
  const out = isFloat ? new Float64Array(n) : new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = read(i * size);
  return out;
}

function typedField(t: TensorProto): number[] {
  switch (t.dataType) {
    case DT.FLOAT: return t.floatData;
    case DT.DOUBLE: return t.doubleData;
    case DT.INT64: return t.int64Data.map(toNumber);
    case DT.UINT64: case DT.UINT32: return t.uint64Data.map(toNumber);
    // ONNX stores float16 bit patterns in int32_data.
    case DT.FLOAT16: return t.int32Data.map(halfToFloat);
    case DT.INT32: case DT.INT16: case DT.INT8: case DT.UINT16: case DT.UINT8: case DT.BOOL: return t.int32Data;
    default: throw new Error(`data type ${t.dataType} is not supported`);
  }
}

export function tensorFromProto(t: TensorProto): Tensor {
  if (t.dataLocation === P.TensorProto.DataLocation.EXTERNAL || (t.externalData && t.externalData.length > 0)) {
    throw new Error(`tensor '${t.name}' uses external data, which is not supported`);
  }
  const shape = t.dims.map(toNumber);
  const n = shape.reduce((a, b) => a * b, 1);
  const vals = t.rawData && t.rawData.length > 0 ? readRaw(t.rawData, t.dataType, n) : typedField(t);
  if (vals.length !== n) throw new Error(`tensor '${t.name}' has ${vals.length} values for shape [${shape}]`);
  const isFloat = t.dataType === DT.FLOAT || t.dataType === DT.DOUBLE || t.dataType === DT.FLOAT16 || t.dataType === DT.BFLOAT16;
  return isFloat
    ? { kind: 'float', shape, data: vals instanceof Float64Array ? vals : Float64Array.from(vals) }
    : { kind: 'int', shape, data: Array.from(vals) };
}

const AT = P.AttributeProto.AttributeType;

/**
 * Attribute kinds no supported op reads. Ignoring them would hand onnxruntime
 * a node we never looked at (an If's branches, a Loop's body): rejected here,
 * naming the node, instead of as a raw onnxruntime error later.
 */
const UNSUPPORTED_ATTRS: Record<number, string> = {
  [AT.GRAPH]: 'a graph (subgraphs: If, Loop, Scan)',
  [AT.GRAPHS]: 'a list of graphs',
  [AT.SPARSE_TENSOR]: 'a sparse tensor',
  [AT.SPARSE_TENSORS]: 'a list of sparse tensors',
  [AT.TYPE_PROTO]: 'a type',
  [AT.TYPE_PROTOS]: 'a list of types',
};

function attrFromProto(a: InstanceType<typeof P.AttributeProto>): AttrValue | undefined {
  const unsupported = UNSUPPORTED_ATTRS[a.type] ?? (a.g ? UNSUPPORTED_ATTRS[AT.GRAPH] : a.graphs.length ? UNSUPPORTED_ATTRS[AT.GRAPHS] : undefined);
  if (unsupported) throw new Error(`is ${unsupported}, which is not supported`);
  switch (a.type) {
    case AT.FLOAT: return { kind: 'float', value: a.f };
    case AT.INT: return { kind: 'int', value: toNumber(a.i) };
    case AT.STRING: return { kind: 'string', value: new TextDecoder().decode(a.s) };
    case AT.TENSOR: return a.t ? { kind: 'tensor', value: tensorFromProto(a.t as TensorProto) } : undefined;
    case AT.FLOATS: return { kind: 'floats', value: [...a.floats] };
    case AT.INTS: return { kind: 'ints', value: a.ints.map(toNumber) };
    default: break;
  }
  // Very old exporters leave `type` unset: go by which field holds data.
  if (a.ints.length) return { kind: 'ints', value: a.ints.map(toNumber) };
  if (a.floats.length) return { kind: 'floats', value: [...a.floats] };
  if (a.t) return { kind: 'tensor', value: tensorFromProto(a.t as TensorProto) };
  if (a.s && a.s.length) return { kind: 'string', value: new TextDecoder().decode(a.s) };
  if (a.f) return { kind: 'float', value: a.f };
  if (a.i) return { kind: 'int', value: toNumber(a.i) };
  return undefined; // strings and tensor lists: no op we support reads them
}

function valueInfo(v: ValueInfoProto): ValueInfo {
  const tt = v.type?.tensorType;
  const dims = tt?.shape?.dim ?? [];
  // Symbolic (dimParam) and zero/unknown dimensions are the batch: resolve to 1.
  const shape = dims.map((d) => {
    const n = d.dimValue !== undefined && d.dimValue !== null ? toNumber(d.dimValue) : 0;
    return n > 0 ? n : 1;
  });
  return { name: v.name, shape, elemType: ELEM_NAMES[tt?.elemType ?? 1] ?? `type${tt?.elemType}` };
}

function nodeFromProto(n: NodeProto, index: number, source: string, opset: number | undefined): IRNode {
  const std = !n.domain || n.domain === 'ai.onnx';
  // A custom-domain op keeps its domain in the name, so shape inference rejects it as unknown.
  const op = std ? n.opType : `${n.domain}.${n.opType}`;
  const name = n.name || `${n.opType}_${index}`;
  const attrs = new Map<string, AttrValue>();
  for (const a of n.attribute) {
    try {
      const v = attrFromProto(a as InstanceType<typeof P.AttributeProto>);
      if (v) attrs.set(a.name ?? '', v);
    } catch (e) {
      throw new OnnxError(source, { name, op }, `attribute '${echo(a.name ?? '')}' ${(e as Error).message}`);
    }
  }
  return { name, op, inputs: [...n.input], outputs: [...n.output], attrs, ...(std && opset !== undefined ? { opset } : {}) };
}

/** Kahn's algorithm, keeping file order among ready nodes. */
function topoSort(nodes: readonly IRNode[], available: ReadonlySet<string>, source: string): IRNode[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => o !== '' && producer.set(o, i)));
  const deps = nodes.map((n) => new Set(n.inputs.filter((x) => x !== '' && !available.has(x) && producer.has(x)).map((x) => producer.get(x)!)));
  const users: number[][] = nodes.map(() => []);
  deps.forEach((d, i) => d.forEach((j) => users[j].push(i)));
  const waiting = deps.map((d) => d.size);
  const ready = waiting.flatMap((w, i) => (w === 0 ? [i] : []));
  const order: IRNode[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const i = ready.shift()!;
    order.push(nodes[i]);
    for (const u of users[i]) if (--waiting[u] === 0) ready.push(u);
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.find((_, i) => waiting[i] > 0)!;
    throw new OnnxError(source, stuck, 'the graph has a cycle');
  }
  return order;
}

/**
 * The newest opset of the default domain that the bundled onnxruntime (1.30)
 * implements. The counterexample check runs the model in onnxruntime, so a
 * model stamped with a later opset could be loaded here but never confirmed.
 */
export const MAX_OPSET = 26;

/** Checks the default domain's opset and returns it (undefined when the model does not import it). */
function checkOpset(model: InstanceType<typeof P.ModelProto>, source: string): number | undefined {
  let opset: number | undefined;
  for (const o of model.opsetImport) {
    if (o.domain && o.domain !== 'ai.onnx') continue;
    const v = toNumber(o.version ?? 0);
    if (!(v >= 1 && v <= MAX_OPSET)) throw new OnnxError(source, undefined, `opset ${v} of the default ONNX domain is not supported (1 to ${MAX_OPSET})`);
    opset = v;
  }
  return opset;
}

export function loadOnnx(bytes: Uint8Array, source: string): Graph {
  let model;
  try {
    model = P.ModelProto.decode(bytes);
  } catch (e) {
    throw new OnnxError(source, undefined, `not a valid ONNX model (${(e as Error).message})`);
  }
  const opset = checkOpset(model, source);
  const g = model.graph as InstanceType<typeof P.GraphProto> | null;
  if (!g || (g.node.length === 0 && g.output.length === 0)) throw new OnnxError(source, undefined, 'not a valid ONNX model (no graph)');
  if (g.output.length === 0) throw new OnnxError(source, undefined, 'the graph has no outputs');

  const initializers = new Map<string, Tensor>();
  for (const t of g.initializer) {
    try {
      initializers.set(t.name ?? '', tensorFromProto(t as TensorProto));
    } catch (e) {
      throw new OnnxError(source, undefined, `initializer '${echo(t.name ?? '')}': ${(e as Error).message}`);
    }
  }
  // Old exporters list initializers among the graph inputs too; those are not real inputs.
  const inputs = g.input.filter((v) => !initializers.has(v.name ?? '')).map((v) => valueInfo(v as ValueInfoProto));
  for (const v of inputs) checkTensorSize(v.shape, `input '${v.name}'`, source);
  const nodes = g.node.map((n, i) => nodeFromProto(n as NodeProto, i, source, opset));
  const available = new Set([...initializers.keys(), ...inputs.map((v) => v.name)]);
  const sorted = topoSort(nodes, available, source);
  for (const n of sorted) checkFiniteAttributes(n, source);

  const outNames = g.output.map((v) => v.name ?? '');
  const folded = foldConstants(sorted, initializers, new Map(inputs.map((v) => [v.name, v.shape])), outNames, source);
  checkFiniteConstants(sorted, initializers, folded.constants, source);
  const outputs = g.output.map((v) => {
    const info = valueInfo(v as ValueInfoProto);
    const shape = folded.shapes.get(v.name ?? '');
    if (!shape) throw new OnnxError(source, undefined, `output '${v.name}' is not produced by any node`);
    return { ...info, shape };
  });
  return { inputs, outputs, nodes: folded.nodes, constants: folded.constants, shapes: folded.shapes, source };
}

/** The model file's bytes: a regular file of at most MAX_ONNX_BYTES (src/util/input-file.ts). */
export function readOnnxBytes(path: string): Uint8Array {
  try {
    return readInputBytes(path, 'ONNX model', MAX_ONNX_BYTES);
  } catch (e) {
    if (e instanceof InputFileError) throw new OnnxError(path, undefined, e.detail);
    throw e;
  }
}

export function readOnnx(path: string): Graph {
  return loadOnnx(readOnnxBytes(path), path);
}
