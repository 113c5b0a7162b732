/**
 * A small writer of ONNX models for tests: declare inputs, initializers and
 * nodes, get the encoded bytes. Float32 unless told otherwise.
 */
import onnxProto from 'onnx-proto';

const P = onnxProto.onnx;
const DT = P.TensorProto.DataType;
const AT = P.AttributeProto.AttributeType;

export type ElemType = 'float32' | 'float64' | 'int64' | 'int32';
const TYPE_CODE: Record<ElemType, number> = { float32: DT.FLOAT, float64: DT.DOUBLE, int64: DT.INT64, int32: DT.INT32 };

export interface TensorSpec {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
  readonly type?: ElemType;
  /** Store in the typed repeated field instead of raw_data. */
  readonly typed?: boolean;
}

/** Attribute values: integers become INT, other numbers FLOAT; wrap to force a kind. */
export type AttrSpec =
  | number
  | readonly number[]
  | string
  | { readonly float: number }
  | { readonly floats: readonly number[] }
  | { readonly tensor: TensorSpec };

/** Attributes ONNX declares as float, so that alpha: 1 is still written as a float. */
const FLOAT_ATTRS = new Set(['alpha', 'beta', 'epsilon', 'momentum', 'ratio', 'value_float']);

export function tensorProto(name: string, t: TensorSpec): InstanceType<typeof P.TensorProto> {
  const type = t.type ?? 'float32';
  const n = t.data.length;
  const props: Record<string, unknown> = { name, dims: [...t.shape], dataType: TYPE_CODE[type] };
  if (t.typed) {
    const vals = Array.from(t.data);
    if (type === 'float32') props.floatData = vals;
    else if (type === 'float64') props.doubleData = vals;
    else if (type === 'int64') props.int64Data = vals;
    else props.int32Data = vals;
  } else {
    const size = type === 'float64' || type === 'int64' ? 8 : 4;
    const raw = new Uint8Array(n * size);
    const dv = new DataView(raw.buffer);
    for (let i = 0; i < n; i++) {
      const v = t.data[i];
      if (type === 'float32') dv.setFloat32(i * 4, v, true);
      else if (type === 'float64') dv.setFloat64(i * 8, v, true);
      else if (type === 'int64') dv.setBigInt64(i * 8, BigInt(v), true);
      else dv.setInt32(i * 4, v, true);
    }
    props.rawData = raw;
  }
  return P.TensorProto.create(props);
}

function attrProto(name: string, v: AttrSpec): InstanceType<typeof P.AttributeProto> {
  if (typeof v === 'string') return P.AttributeProto.create({ name, type: AT.STRING, s: new TextEncoder().encode(v) });
  if (typeof v === 'number') {
    return FLOAT_ATTRS.has(name) || !Number.isInteger(v)
      ? P.AttributeProto.create({ name, type: AT.FLOAT, f: v })
      : P.AttributeProto.create({ name, type: AT.INT, i: v });
  }
  if ('float' in v) return P.AttributeProto.create({ name, type: AT.FLOAT, f: v.float });
  if ('floats' in v) return P.AttributeProto.create({ name, type: AT.FLOATS, floats: [...v.floats] });
  if ('tensor' in v) return P.AttributeProto.create({ name, type: AT.TENSOR, t: tensorProto('', v.tensor) });
  return P.AttributeProto.create({ name, type: AT.INTS, ints: [...(v as readonly number[])] });
}

function valueInfo(name: string, shape: readonly (number | string)[] | undefined, type: ElemType) {
  const tensorType: Record<string, unknown> = { elemType: TYPE_CODE[type] };
  if (shape) tensorType.shape = { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) };
  return P.ValueInfoProto.create({ name, type: { tensorType } });
}

export class OnnxBuilder {
  private readonly inputs: InstanceType<typeof P.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof P.ValueInfoProto>[] = [];
  private readonly inits: InstanceType<typeof P.TensorProto>[] = [];
  private readonly nodes: InstanceType<typeof P.NodeProto>[] = [];
  private count = 0;

  constructor(readonly opts: { opset?: number; irVersion?: number; elemType?: ElemType; initializersAsInputs?: boolean } = {}) {}

  get elemType(): ElemType {
    return this.opts.elemType ?? 'float32';
  }

  input(name: string, shape: readonly (number | string)[], type: ElemType = this.elemType): this {
    this.inputs.push(valueInfo(name, shape, type));
    return this;
  }

  output(name: string, shape?: readonly (number | string)[], type: ElemType = this.elemType): this {
    this.outputs.push(valueInfo(name, shape, type));
    return this;
  }

  init(name: string, data: ArrayLike<number>, shape: readonly number[], type: ElemType = this.elemType, typed = false): this {
    this.inits.push(tensorProto(name, { data, shape, type, typed }));
    // Old exporters (IR < 4) also list every initializer as a graph input.
    if (this.opts.initializersAsInputs) this.inputs.push(valueInfo(name, shape, type));
    return this;
  }

  node(op: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, AttrSpec> = {}, name?: string): this {
    this.nodes.push(
      P.NodeProto.create({
        opType: op,
        name: name ?? `${op}_${this.count++}`,
        input: [...inputs],
        output: [...outputs],
        attribute: Object.entries(attrs).map(([k, v]) => attrProto(k, v)),
      }),
    );
    return this;
  }

  /** A fresh value name, for chaining helpers. */
  fresh(prefix = 'v'): string {
    return `${prefix}_${this.count++}`;
  }

  build(): Uint8Array {
    const opset = this.opts.opset ?? 13;
    const model = P.ModelProto.create({
      irVersion: this.opts.irVersion ?? (opset >= 13 ? 7 : 6),
      producerName: 'tsverify-test',
      opsetImport: [{ domain: '', version: opset }],
      graph: P.GraphProto.create({
        name: 'test',
        input: this.inputs,
        output: this.outputs,
        initializer: this.inits,
        node: this.nodes,
      }),
    });
    return P.ModelProto.encode(model).finish();
  }
}

/**
 * y = relu(x) on 2 inputs (Gemm with the identity, then Relu): class 0 when x0 > x1 >= 0, class 1 when
 * x1 > x0 >= 0; the classification margin at x is |x0 - x1| on the non-negative quadrant. The gate tests' model.
 */
export function reluIdentityClassifier(): Uint8Array {
  return new OnnxBuilder()
    .input('x', [1, 2])
    .init('W1', [1, 0, 0, 1], [2, 2])
    .init('B1', [0, 0], [2])
    .node('Gemm', ['x', 'W1', 'B1'], ['h'], { transB: 1 })
    .node('Relu', ['h'], ['y'])
    .output('y', [1, 2])
    .build();
}
