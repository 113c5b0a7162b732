/**
 * Mutations of valid inputs into malformed ones: the kinds of damage users
 * and broken exporters produce (truncation, flipped bytes, garbage, empty
 * files, wrong dimensions, NaN/Inf, huge tokens, deep nesting), byte-level for
 * both formats and structural for ONNX (decode, break one thing, encode).
 */
import onnxProto from 'onnx-proto';

const P = onnxProto.onnx;
type Model = InstanceType<typeof P.ModelProto>;

export type Rng = () => number;

export const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[int(rng, xs.length)]!;

export interface Mutation<T> {
  readonly kind: string;
  readonly apply: (input: T, rng: Rng) => Uint8Array | string;
}

// ---------------------------------------------------------------------------
// Byte level (both formats)

function randomBytes(rng: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = int(rng, 256);
  return b;
}

/** A fresh copy: the seeds may be Buffers, whose slice() is a view, and must never change. */
function bytesOf(x: Uint8Array | string): Uint8Array {
  return typeof x === 'string' ? new TextEncoder().encode(x) : new Uint8Array(x);
}

const BYTE_MUTATIONS: Mutation<Uint8Array | string>[] = [
  { kind: 'truncate', apply: (x, rng) => bytesOf(x).slice(0, int(rng, bytesOf(x).length)) },
  {
    kind: 'flip-bytes',
    apply: (x, rng) => {
      const b = bytesOf(x);
      const flips = 1 + int(rng, 8);
      for (let k = 0; k < flips && b.length > 0; k++) b[int(rng, b.length)] = int(rng, 256);
      return b;
    },
  },
  {
    kind: 'delete-range',
    apply: (x, rng) => {
      const b = bytesOf(x);
      const i = int(rng, b.length);
      const j = i + int(rng, Math.max(1, b.length - i));
      return new Uint8Array([...b.subarray(0, i), ...b.subarray(j)]);
    },
  },
  {
    kind: 'duplicate-range',
    apply: (x, rng) => {
      const b = bytesOf(x);
      const i = int(rng, b.length);
      const j = Math.min(b.length, i + 1 + int(rng, 200));
      return new Uint8Array([...b.subarray(0, j), ...b.subarray(i, j), ...b.subarray(j)]);
    },
  },
  { kind: 'garbage', apply: (_x, rng) => randomBytes(rng, int(rng, 4096)) },
  { kind: 'empty', apply: () => new Uint8Array(0) },
];

// ---------------------------------------------------------------------------
// VNN-LIB text

const BAD_NUMBERS = ['NaN', 'nan', 'inf', '-inf', 'Infinity', '1e400', '-1e400', '1e-400', '0x10', '1.2.3', '--1', '1e', '.', '+.e1', '1_0', '٣'];

function replaceRandomMatch(text: string, re: RegExp, rng: Rng, by: (m: string) => string): string {
  const matches = [...text.matchAll(re)];
  if (matches.length === 0) return text;
  const m = pick(rng, matches);
  return text.slice(0, m.index) + by(m[0]) + text.slice(m.index! + m[0].length);
}

/** The formula of one random assert. */
function assertBody(text: string, rng: Rng): { start: number; end: number } | undefined {
  const starts = [...text.matchAll(/\(assert /g)].map((m) => m.index! + '(assert '.length);
  if (starts.length === 0) return undefined;
  const start = pick(rng, starts);
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') {
      if (depth === 0) return { start, end: i };
      depth--;
    }
  }
  return undefined;
}

const DEPTHS = [100, 5_000, 50_000, 200_000];

const VNNLIB_MUTATIONS: Mutation<string>[] = [
  ...BYTE_MUTATIONS,
  {
    kind: 'deep-nesting',
    apply: (t, rng) => {
      const body = assertBody(t, rng);
      if (!body) return t;
      const depth = pick(rng, DEPTHS);
      const op = pick(rng, ['and', 'or']);
      return t.slice(0, body.start) + `(${op} `.repeat(depth) + t.slice(body.start, body.end) + ')'.repeat(depth) + t.slice(body.end);
    },
  },
  {
    kind: 'deep-arithmetic',
    apply: (t, rng) => {
      const depth = pick(rng, DEPTHS);
      const [open, close] = pick(rng, [['(+ ', ' 0)'], ['(- ', ')'], ['(* 1 ', ')'], ['(+ 1 ', ')'], ['(/ ', ' 1)']]);
      return replaceRandomMatch(t, /\b[XY]_\d+\b/g, rng, (v) => open!.repeat(depth) + v + close!.repeat(depth));
    },
  },
  { kind: 'unbalanced', apply: (t, rng) => { const i = int(rng, t.length); return t.slice(0, i) + pick(rng, ['(', ')', '((', '))']) + t.slice(i); } },
  { kind: 'bad-number', apply: (t, rng) => replaceRandomMatch(t, /-?\d+\.\d+/g, rng, () => pick(rng, BAD_NUMBERS)) },
  {
    kind: 'huge-token',
    apply: (t, rng) => {
      const n = pick(rng, [10_000, 1_000_000]);
      const token = pick(rng, ['9'.repeat(n), `0.${'3'.repeat(n)}`, `X_${'1'.repeat(n)}`, 'A'.repeat(n), `|${'q'.repeat(n)}|`, `"${'s'.repeat(n)}"`]);
      return replaceRandomMatch(t, /-?\d+\.\d+|\bY_\d+\b/g, rng, () => token);
    },
  },
  {
    kind: 'control-bytes',
    apply: (t, rng) => replaceRandomMatch(t, /\bX_\d+\b/g, rng, (v) => `|${v}\x1b[2J\x00\r\n${String.fromCharCode(0xd800)}|`),
  },
  { kind: 'wrong-dims-extra', apply: (t, rng) => t.replace(/\(declare-const Y_0 Real\)/, `(declare-const X_${40 + int(rng, 3)} Real)\n(declare-const Y_0 Real)`) },
  { kind: 'wrong-dims-missing', apply: (t, rng) => t.replace(new RegExp(`\\(declare-const ${pick(rng, ['X', 'Y'])}_0 Real\\)`), '') },
  { kind: 'wrong-dims-more-outputs', apply: (t) => t.replace(/\(declare-const Y_0 Real\)/, '(declare-const Y_0 Real)\n(declare-const Y_7 Real)') },
  { kind: 'drop-bound', apply: (t, rng) => replaceRandomMatch(t, /\(assert \((?:<=|>=) X_\d+ [^\n]*\n/g, rng, () => '') },
  { kind: 'empty-box', apply: (t) => t.replace(/\(assert \(>= X_0 /, '(assert (>= X_0 1000) (>= X_0 ') },
  { kind: 'line-endings', apply: (t, rng) => (rng() < 0.5 ? t.replace(/\n/g, '\r') : `\ufeff${t.replace(/\n/g, '\r\n')}`) },
  { kind: 'nul-bytes', apply: (t, rng) => { const i = int(rng, t.length); return `${t.slice(0, i)}\x00\x00${t.slice(i)}`; } },
  {
    kind: 'huge-dnf',
    apply: (t, rng) => {
      const k = 4 + int(rng, 4);
      const or = `(assert (or ${Array.from({ length: 20 }, (_, j) => `(<= Y_0 ${j}.0)`).join(' ')}))\n`;
      return t + or.repeat(k);
    },
  },
  {
    kind: 'wide-or',
    apply: (t, rng) => t + `(assert (or ${Array.from({ length: 20_000 + int(rng, 80_000) }, (_, j) => `(and (<= X_0 ${j}.5) (>= X_0 ${j}.0))`).join(' ')}))\n`,
  },
  { kind: 'unknown-command', apply: (t, rng) => t + pick(rng, ['(push 1)\n', '(define-fun f () Real 1.0)\n', '(assert)\n', '(assert 1 2)\n', '()\n', 'x\n', '(declare-const X_0 Int)\n']) },
  { kind: 'unicode', apply: (t, rng) => { const i = int(rng, t.length); return `${t.slice(0, i)}${pick(rng, ['é', '∞', '\u202e', '😀', '\ufffd', '\u2028'])}${t.slice(i)}`; } },
];

export function mutateVnnlib(text: string, rng: Rng): { kind: string; data: Uint8Array | string } {
  const m = pick(rng, VNNLIB_MUTATIONS);
  return { kind: `vnnlib:${m.kind}`, data: m.apply(text, rng) };
}

// ---------------------------------------------------------------------------
// ONNX structure

const AT = P.AttributeProto.AttributeType;

function decode(bytes: Uint8Array): Model {
  return P.ModelProto.decode(bytes);
}

function encode(m: Model): Uint8Array {
  return P.ModelProto.encode(m).finish();
}

function structural(kind: string, change: (m: Model, rng: Rng) => void): Mutation<Uint8Array> {
  return {
    kind,
    apply: (bytes, rng) => {
      const m = decode(bytes);
      change(m, rng);
      return encode(m);
    },
  };
}

const SPECIAL_FLOATS = [NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45];
const HUGE_DIMS = [0, -1, 1e9, 2 ** 31, 65_536];

function someInitializer(m: Model, rng: Rng) {
  const inits = m.graph?.initializer ?? [];
  return inits.length ? pick(rng, inits) : undefined;
}

function someNode(m: Model, rng: Rng) {
  const nodes = m.graph?.node ?? [];
  return nodes.length ? pick(rng, nodes) : undefined;
}

const ONNX_MUTATIONS: Mutation<Uint8Array>[] = [
  ...(BYTE_MUTATIONS as Mutation<Uint8Array>[]),
  structural('nonfinite-weight', (m, rng) => {
    const t = someInitializer(m, rng);
    if (!t?.rawData?.length) return;
    const raw = new Uint8Array(t.rawData);
    const dv = new DataView(raw.buffer);
    const v = pick(rng, SPECIAL_FLOATS);
    if (t.dataType === P.TensorProto.DataType.DOUBLE) dv.setFloat64(8 * int(rng, raw.length / 8), v, true);
    else dv.setFloat32(4 * int(rng, raw.length / 4), v, true);
    t.rawData = raw;
  }),
  structural('huge-weights', (m, rng) => {
    // Finite float32 values whose products overflow once layers are composed.
    for (const t of m.graph?.initializer ?? []) {
      if (!t.rawData?.length || t.dataType !== P.TensorProto.DataType.FLOAT) continue;
      const raw = new Uint8Array(t.rawData);
      const dv = new DataView(raw.buffer);
      for (let o = 0; o < raw.length; o += 4) dv.setFloat32(o, (rng() < 0.5 ? -1 : 1) * 3e38, true);
      t.rawData = raw;
    }
  }),
  structural('initializer-dims', (m, rng) => {
    const t = someInitializer(m, rng);
    if (!t) return;
    const dims = t.dims ?? [];
    if (rng() < 0.5) t.dims = dims.map(() => pick(rng, HUGE_DIMS));
    else t.dims = rng() < 0.5 ? [...dims, 2] : dims.slice(1);
  }),
  structural('input-dims', (m, rng) => {
    const v = m.graph?.input?.[0];
    const dims = v?.type?.tensorType?.shape?.dim;
    if (!dims?.length) return;
    pick(rng, dims).dimValue = pick(rng, HUGE_DIMS);
  }),
  structural('output-dims', (m, rng) => {
    const dims = m.graph?.output?.[0]?.type?.tensorType?.shape?.dim;
    if (dims?.length) pick(rng, dims).dimValue = pick(rng, [0, 7, 1e9]);
  }),
  structural('unknown-op', (m, rng) => {
    const n = someNode(m, rng);
    if (n) n.opType = pick(rng, ['FancyOp', 'Softmax', 'If', 'LSTM', '', 'Relu\x1b[2J']);
  }),
  structural('custom-domain', (m, rng) => {
    const n = someNode(m, rng);
    if (n) n.domain = 'com.example';
  }),
  structural('opset', (m, rng) => {
    m.opsetImport = [P.OperatorSetIdProto.create({ domain: '', version: pick(rng, [0, 1, 5, 27, 999, -3]) })];
  }),
  structural('graph-attribute', (m, rng) => {
    const n = someNode(m, rng);
    n?.attribute?.push(P.AttributeProto.create({ name: 'body', type: pick(rng, [AT.GRAPH, AT.GRAPHS, AT.SPARSE_TENSOR, AT.TYPE_PROTO]), g: P.GraphProto.create({ name: 'sub' }) }));
  }),
  structural('bad-attribute', (m, rng) => {
    const n = someNode(m, rng);
    if (!n?.attribute) return;
    const name = pick(rng, ['transB', 'transA', 'alpha', 'beta', 'axis', 'kernel_shape', 'strides', 'pads', 'group', 'dilations', 'bogus']);
    const a = n.attribute.find((x) => x.name === name) ?? P.AttributeProto.create({ name });
    if (!n.attribute.includes(a)) n.attribute.push(a);
    const kind = int(rng, 3);
    if (kind === 0) Object.assign(a, { type: AT.INT, i: pick(rng, [0, -1, 5, 1e9]) });
    else if (kind === 1) Object.assign(a, { type: AT.FLOAT, f: pick(rng, SPECIAL_FLOATS) });
    else Object.assign(a, { type: AT.INTS, ints: [pick(rng, [0, -2, 1e9]), pick(rng, [0, 3])] });
  }),
  structural('remove-node', (m, rng) => {
    const nodes = m.graph?.node;
    if (nodes?.length) nodes.splice(int(rng, nodes.length), 1);
  }),
  structural('dangling-input', (m, rng) => {
    const n = someNode(m, rng);
    if (n?.input?.length) n.input[int(rng, n.input.length)] = 'nowhere';
  }),
  structural('cycle', (m, rng) => {
    const n = someNode(m, rng);
    if (n?.input?.length && n.output?.length) n.input[0] = n.output[0]!;
  }),
  structural('data-type', (m, rng) => {
    const t = someInitializer(m, rng);
    if (t) t.dataType = pick(rng, [0, 2, 7, 8, 9, 10, 16, 99]);
  }),
  structural('external-data', (m, rng) => {
    const t = someInitializer(m, rng);
    if (t) t.dataLocation = P.TensorProto.DataLocation.EXTERNAL;
  }),
  structural('no-outputs', (m) => {
    if (m.graph) m.graph.output = [];
  }),
  structural('two-inputs', (m) => {
    const g = m.graph;
    if (g?.input?.[0]) g.input.push(P.ValueInfoProto.create({ ...g.input[0], name: 'second' }));
  }),
  structural('huge-name', (m, rng) => {
    const n = someNode(m, rng);
    if (n) n.name = `node\x1b]0;t\x07${'n'.repeat(1_000_000)}`;
  }),
];

export function mutateOnnx(bytes: Uint8Array, rng: Rng): { kind: string; data: Uint8Array } {
  const m = pick(rng, ONNX_MUTATIONS);
  return { kind: `onnx:${m.kind}`, data: bytesOf(m.apply(bytes, rng)) };
}
