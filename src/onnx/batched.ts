/**
 * Many points per onnxruntime call, for searches that only PROPOSE
 * counterexamples (src/attack/black-box.ts): every hit is still confirmed by
 * the original model (src/onnx/reference.ts, src/attack/validate.ts).
 *
 * Most exported models declare a fixed batch dimension of 1. The model is
 * rewritten with a symbolic first dimension on its input and outputs (and
 * without intermediate shape annotations), and the rewritten model must
 * agree with the original on a few points; a model whose graph hard-codes
 * the batch size (a Reshape to [1, -1]) fails that check or the run, and
 * then points go one per call through the original model.
 */
import ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { nativeCall, SolverStopped } from '../util/native-gate.js';
import { firstRealInput, toOrtTensor, type InputDecl, type ReferenceModel } from './reference.js';

const P = onnxProto.onnx;

export interface BatchedModel {
  /** Most points one `run` evaluates in a single onnxruntime call (1: one call per point). */
  readonly maxBatch: number;
  readonly inputDim: number;
  readonly outputDim: number;
  /** Outputs (count x outputDim, row-major) at the count points stacked in X (count x inputDim). */
  run(X: Float64Array, count: number): Promise<Float64Array>;
  release(): Promise<void>;
}

/** Input elements per batch at most (float32: 16 MiB of input per call). */
const MAX_BATCH_ELEMENTS = 2 ** 22;
const MAX_BATCH = 256;

/** One point per call through the model that checks counterexamples. */
class SequentialModel implements BatchedModel {
  readonly maxBatch = 1;
  constructor(private readonly ref: ReferenceModel, readonly inputDim: number, readonly outputDim: number) {}

  async run(X: Float64Array, count: number): Promise<Float64Array> {
    const Y = new Float64Array(count * this.outputDim);
    for (let p = 0; p < count; p++) Y.set(await this.ref.run(X.subarray(p * this.inputDim, (p + 1) * this.inputDim)), p * this.outputDim);
    return Y;
  }

  async release(): Promise<void> {}
}

class SessionModel implements BatchedModel {
  /** Set when a batched call failed after the check: every later call goes one point at a time. */
  private broken = false;

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly input: InputDecl,
    private readonly outputName: string,
    readonly maxBatch: number,
    readonly inputDim: number,
    readonly outputDim: number,
    private readonly fallback: BatchedModel,
  ) {}

  async run(X: Float64Array, count: number): Promise<Float64Array> {
    if (this.broken) return this.fallback.run(X, count);
    try {
      return await this.runBatched(X, count);
    } catch (e) {
      if (e instanceof SolverStopped) throw e;
      this.broken = true;
      return this.fallback.run(X, count);
    }
  }

  /** The check before use: a failure here throws instead of falling back. */
  runBatchedOnce(X: Float64Array, count: number): Promise<Float64Array> {
    return this.runBatched(X, count);
  }

  private async runBatched(X: Float64Array, count: number): Promise<Float64Array> {
    const Y = new Float64Array(count * this.outputDim);
    for (let p0 = 0; p0 < count; p0 += this.maxBatch) {
      const b = Math.min(this.maxBatch, count - p0);
      const decl = { ...this.input, shape: [b, ...this.input.shape.slice(1)] };
      const x = X.subarray(p0 * this.inputDim, (p0 + b) * this.inputDim);
      const out = await nativeCall(() => this.session.run({ [this.input.name]: toOrtTensor(decl, x) }));
      const data = out[this.outputName].data as ArrayLike<number | bigint>;
      if (data.length !== b * this.outputDim) throw new Error(`batched run returned ${data.length} values for ${b} points`);
      for (let k = 0; k < data.length; k++) Y[p0 * this.outputDim + k] = Number(data[k]);
    }
    return Y;
  }

  async release(): Promise<void> {
    await nativeCall(() => this.session.release());
  }
}

/** The model with a symbolic first dimension on its real input and its outputs; null when the input has no batch dimension of 1. */
function withSymbolicBatch(bytes: Uint8Array, source: string): Uint8Array | null {
  const decl = firstRealInput(bytes, source);
  if (decl.shape.length < 2 || decl.shape[0] !== 1) return null;
  const model = P.ModelProto.decode(bytes);
  const g = model.graph;
  if (!g) return null;
  const setBatch = (v: onnxProto.onnx.IValueInfoProto) => {
    const dims = v.type?.tensorType?.shape?.dim;
    if (dims && dims.length >= 1) dims[0] = P.TensorShapeProto.Dimension.create({ dimParam: 'tsverify_batch' });
  };
  const real = (g.input ?? []).find((i) => i.name === decl.name);
  if (!real) return null;
  setBatch(real);
  for (const o of g.output ?? []) setBatch(o);
  g.valueInfo = [];
  return P.ModelProto.encode(model).finish();
}

function close(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= 1e-4 * (1 + Math.abs(b[i])))) return false;
  }
  return true;
}

/**
 * A batched runner for the model `ref` checks: the rewritten model when it
 * agrees with `ref` on `probes` (inputDim values each: points in the input
 * region, where the model is meant to run) and two more, else one call per point.
 */
export async function batchedModel(bytes: Uint8Array, ref: ReferenceModel, probes: readonly Float64Array[]): Promise<BatchedModel> {
  const inputDim = ref.inputShape.reduce((a, b) => a * b, 1);
  // At least three distinct points: a graph that mixes or fixes the batch fails on them.
  const given = probes.length > 0 ? probes : [new Float64Array(inputDim)];
  const checks = [...given, new Float64Array(inputDim), given[0].map((v, i) => 0.5 * v + 0.25 * ((i % 3) - 1))];
  const expected: Float64Array[] = [];
  for (const p of checks) expected.push(await ref.run(p));
  const outputDim = expected[0].length;
  const sequential = new SequentialModel(ref, inputDim, outputDim);
  const patched = withSymbolicBatch(bytes, ref.source);
  if (!patched) return sequential;
  let session: ort.InferenceSession | undefined;
  try {
    // Fatal only: a graph that fixes the batch size fails the check below, which is no news.
    session = await nativeCall(() => ort.InferenceSession.create(patched, { logSeverityLevel: 4 }));
    const maxBatch = Math.max(1, Math.min(MAX_BATCH, Math.floor(MAX_BATCH_ELEMENTS / Math.max(1, inputDim))));
    const model = new SessionModel(session, firstRealInput(patched, ref.source), session.outputNames[0], maxBatch, inputDim, outputDim, sequential);
    const X = new Float64Array(checks.length * inputDim);
    checks.forEach((p, k) => X.set(p, k * inputDim));
    const Y = await model.runBatchedOnce(X, checks.length);
    if (expected.every((y, k) => close(Y.subarray(k * outputDim, (k + 1) * outputDim), y))) return model;
  } catch (e) {
    if (e instanceof SolverStopped) throw e;
  }
  if (session) await nativeCall(() => session!.release()).catch(() => undefined);
  return sequential;
}
