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
  /** The outputs are the logits of a final Softmax the model applies (see BatchedModelOptions). */
  readonly logits: boolean;
  /** Outputs (count x outputDim, row-major) at the count points stacked in X (count x inputDim). */
  run(X: Float64Array, count: number): Promise<Float64Array>;
  release(): Promise<void>;
}

/** Input elements per batch at most (float32: 16 MiB of input per call). */
const MAX_BATCH_ELEMENTS = 2 ** 22;
/** Elements of all values of a batch at most (float32: 256 MiB per call, whatever the network). */
const MAX_BATCH_VALUES = 2 ** 26;
const MAX_BATCH = 256;

/** One point per call through the model that checks counterexamples. */
class SequentialModel implements BatchedModel {
  readonly maxBatch = 1;
  readonly logits = false;
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
    readonly logits: boolean,
    /** Used after a failed batched call (one point per call, the model's own outputs). */
    private readonly fallback: BatchedModel,
  ) {}

  async run(X: Float64Array, count: number): Promise<Float64Array> {
    if (this.broken) return this.fallback.run(X, count);
    try {
      return await this.runBatched(X, count);
    } catch (e) {
      // Where these were logits, the model's outputs have the same sign of the caller's objective (its premise).
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

interface Rewrite {
  /** A symbolic first dimension on the real input and the outputs. */
  readonly batch: boolean;
  /** The output is the input of the final Softmax (the logits). */
  readonly logits: boolean;
}

/**
 * The model rewritten as asked; null when it does not apply (no batch
 * dimension of 1 on the input, no Softmax producing the output).
 */
function rewrite(bytes: Uint8Array, source: string, r: Rewrite): Uint8Array | null {
  const decl = firstRealInput(bytes, source);
  const model = P.ModelProto.decode(bytes);
  const g = model.graph;
  if (!g || !g.output?.length) return null;
  if (r.logits) {
    const out = g.output[0];
    const k = (g.node ?? []).findIndex((n) => n.output?.[0] === out.name);
    const sm = k >= 0 ? g.node![k] : undefined;
    if (!sm || sm.opType !== 'Softmax' || (sm.domain ?? '') !== '' || sm.input?.length !== 1 || !sm.input[0]) return null;
    if (g.node!.some((n, j) => j !== k && (n.input ?? []).includes(out.name!))) return null;
    g.node!.splice(k, 1);
    out.name = sm.input[0];
  }
  if (r.batch) {
    if (decl.shape.length < 2 || decl.shape[0] !== 1) return null;
    const setBatch = (v: onnxProto.onnx.IValueInfoProto) => {
      const dims = v.type?.tensorType?.shape?.dim;
      if (dims && dims.length >= 1) dims[0] = P.TensorShapeProto.Dimension.create({ dimParam: 'tsverify_batch' });
    };
    const real = (g.input ?? []).find((i) => i.name === decl.name);
    if (!real) return null;
    setBatch(real);
    for (const o of g.output) setBatch(o);
  }
  g.valueInfo = [];
  return P.ModelProto.encode(model).finish();
}

/** Row-wise softmax of count x m values (float64), to compare logits with the model's outputs. */
function softmaxRows(Y: Float64Array, count: number, m: number): Float64Array {
  const out = new Float64Array(Y.length);
  for (let p = 0; p < count; p++) {
    const row = Y.subarray(p * m, (p + 1) * m);
    const max = Math.max(...row);
    let sum = 0;
    for (let j = 0; j < m; j++) sum += out[p * m + j] = Math.exp(row[j] - max);
    for (let j = 0; j < m; j++) out[p * m + j] /= sum;
  }
  return out;
}

function close(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= 1e-4 * (1 + Math.abs(b[i])))) return false;
  }
  return true;
}

export interface BatchedModelOptions {
  /**
   * The caller's objective has the same sign on softmax outputs and on
   * logits (src/problem/output-comparisons.ts): a final Softmax may be left
   * out, so that saturated probabilities do not flatten the objective.
   */
  readonly logitsSuffice?: boolean;
  /**
   * Elements of all the values of one evaluation (inputs, intermediates,
   * outputs), when known: the batch is cut so that a call holds at most
   * MAX_BATCH_VALUES of them.
   */
  readonly valuesPerPoint?: number;
}

/**
 * A runner for the model `ref` checks: the first rewrite (batched and
 * logits, batched, logits alone) that agrees with `ref` on `probes`
 * (inputDim values each: points in the input region, where the model is
 * meant to run) and two more points, softmax applied where the rewrite
 * leaves it out; else `ref` itself, one call per point.
 */
export async function batchedModel(bytes: Uint8Array, ref: ReferenceModel, probes: readonly Float64Array[], options: BatchedModelOptions = {}): Promise<BatchedModel> {
  const inputDim = ref.inputShape.reduce((a, b) => a * b, 1);
  // At least three distinct points: a graph that mixes or fixes the batch fails on them.
  const given = probes.length > 0 ? probes : [new Float64Array(inputDim)];
  const checks = [...given, new Float64Array(inputDim), given[0].map((v, i) => 0.5 * v + 0.25 * ((i % 3) - 1))];
  const expected = new Float64Array(checks.length * (await ref.run(checks[0])).length);
  const outputDim = expected.length / checks.length;
  for (let k = 0; k < checks.length; k++) expected.set(await ref.run(checks[k]), k * outputDim);
  const X = new Float64Array(checks.length * inputDim);
  checks.forEach((p, k) => X.set(p, k * inputDim));
  const sequential = new SequentialModel(ref, inputDim, outputDim);
  const rewrites: Rewrite[] = [
    ...(options.logitsSuffice ? [{ batch: true, logits: true }] : []),
    { batch: true, logits: false },
    ...(options.logitsSuffice ? [{ batch: false, logits: true }] : []),
  ];
  for (const r of rewrites) {
    const patched = rewrite(bytes, ref.source, r);
    if (!patched) continue;
    let session: ort.InferenceSession | undefined;
    try {
      // Fatal only: a graph that fixes the batch size fails the check below, which is no news.
      session = await nativeCall(() => ort.InferenceSession.create(patched, { logSeverityLevel: 4 }));
      const perPoint = Math.max(inputDim, options.valuesPerPoint ?? 0, 1);
      const maxBatch = r.batch ? Math.max(1, Math.min(MAX_BATCH, Math.floor(MAX_BATCH_ELEMENTS / inputDim), Math.floor(MAX_BATCH_VALUES / perPoint))) : 1;
      const model = new SessionModel(session, firstRealInput(patched, ref.source), session.outputNames[0], maxBatch, inputDim, outputDim, r.logits, sequential);
      const Y = await model.runBatchedOnce(X, checks.length);
      if (close(r.logits ? softmaxRows(Y, checks.length, outputDim) : Y, expected)) return model;
    } catch (e) {
      if (e instanceof SolverStopped) throw e;
    }
    if (session) await nativeCall(() => session!.release()).catch(() => undefined);
  }
  return sequential;
}
