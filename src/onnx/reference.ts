/**
 * The original ONNX model run by onnxruntime. This is the ground truth that
 * confirms counterexamples, so it reads nothing but the model's own input and
 * output declarations (name, element type, shape): none of our loader's
 * shape inference, folding or lowering is involved.
 */
import ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { nativeCall, SolverStopped } from '../util/native-gate.js';
import { echo } from '../util/user-text.js';
import { OnnxError } from './errors.js';
import { readOnnxBytes } from './load.js';

const P = onnxProto.onnx;

export interface InputDecl {
  readonly name: string;
  readonly elemType: number;
  readonly shape: number[];
}

export function dimNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'low' in v) return (v as { low: number }).low;
  return 0;
}

/** First graph input that is not an initializer; symbolic/zero dims become 1. */
export function firstRealInput(bytes: Uint8Array, source: string): InputDecl {
  let model;
  try {
    model = P.ModelProto.decode(bytes);
  } catch (e) {
    throw new OnnxError(source, undefined, `not a valid ONNX model (${(e as Error).message})`);
  }
  const g = model.graph;
  const inits = new Set((g?.initializer ?? []).map((t) => t.name));
  const v = (g?.input ?? []).find((i) => !inits.has(i.name));
  if (!v || !v.name) throw new OnnxError(source, undefined, 'the model has no real input');
  const tt = v.type?.tensorType;
  const shape = (tt?.shape?.dim ?? []).map((d) => Math.max(1, dimNumber(d.dimValue)));
  return { name: v.name, elemType: tt?.elemType ?? 1, shape };
}

/**
 * onnxruntime's message without the C++ location and signature it starts
 * with ("/onnxruntime_src/...h:46 void onnxruntime::...(...) ").
 */
export function ortMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/^\/\S+:\d+ [^()]*\([^()]*\) /, '');
}

export function toOrtTensor(decl: InputDecl, x: Float64Array): ort.Tensor {
  const DT = P.TensorProto.DataType;
  switch (decl.elemType) {
    case DT.FLOAT: return new ort.Tensor('float32', Float32Array.from(x), decl.shape);
    case DT.DOUBLE: return new ort.Tensor('float64', Float64Array.from(x), decl.shape);
    case DT.INT64: return new ort.Tensor('int64', BigInt64Array.from(x, (v) => BigInt(Math.trunc(v))), decl.shape);
    case DT.INT32: return new ort.Tensor('int32', Int32Array.from(x), decl.shape);
    default: throw new Error(`input '${echo(decl.name)}' has element type ${decl.elemType}, which the reference runner does not feed`);
  }
}

export class ReferenceModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly input: InputDecl,
    private readonly outputName: string,
    readonly source: string,
  ) {}

  /**
   * From the model's bytes or from a file path. The model is run once (at
   * zero) here: a model onnxruntime rejects (an opset or attribute it does
   * not know, a node it cannot run) is the input's fault, reported now and
   * naming the file, not a raw onnxruntime error in the middle of the search.
   */
  static async create(model: Uint8Array | string, source?: string): Promise<ReferenceModel> {
    const src = source ?? (typeof model === 'string' ? model : '<bytes>');
    const bytes = typeof model === 'string' ? readOnnxBytes(model) : model;
    const input = firstRealInput(bytes, src);
    let session: ort.InferenceSession;
    try {
      session = await nativeCall(() => ort.InferenceSession.create(bytes, { logSeverityLevel: 3 }));
    } catch (e) {
      if (e instanceof SolverStopped) throw e;
      throw new OnnxError(src, undefined, `onnxruntime cannot load the model: ${ortMessage(e)}`);
    }
    const ref = new ReferenceModel(session, input, session.outputNames[0], src);
    try {
      await ref.run(new Float64Array(input.shape.reduce((a, b) => a * b, 1)));
    } catch (e) {
      if (e instanceof SolverStopped) throw e;
      await nativeCall(() => session.release()).catch(() => undefined);
      throw new OnnxError(src, undefined, `onnxruntime cannot run the model: ${ortMessage(e)}`);
    }
    return ref;
  }

  get inputShape(): readonly number[] {
    return this.input.shape;
  }

  /** Output 0 for the flat input x (cast to the model's input type), as float64. */
  async run(x: Float64Array): Promise<Float64Array> {
    const n = this.input.shape.reduce((a, b) => a * b, 1);
    if (x.length !== n) throw new Error(`${this.source}: input has ${x.length} values, the model expects ${n} ([${this.input.shape}])`);
    // Through the native gate: the solver thread must not be terminated inside run (src/util/native-gate.ts).
    const out = await nativeCall(() => this.session.run({ [this.input.name]: toOrtTensor(this.input, x) }));
    const data = out[this.outputName].data;
    return Float64Array.from(data as ArrayLike<number | bigint>, (v) => Number(v));
  }

  async release(): Promise<void> {
    await nativeCall(() => this.session.release());
  }
}
