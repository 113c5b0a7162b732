/**
 * ℓ1 robustness for `verify gate --norm l1` (issue 16): per sample x with
 * label c, is some input with ‖x' - x‖_1 <= eps (clipped to [clipMin,
 * clipMax]) classified otherwise (Y_j >= Y_c for some j != c)?
 *
 * The ball is not a box, so it cannot go through a VNN-LIB file to a
 * `verify` child process as the ℓ∞ gate does; each sample is decided in
 * this process:
 *   unsat   Simplex Verify over the ball (src/bounds/simplex/) bounds every
 *           row Y_c - Y_j above its rounding margin;
 *   sat     a point of the ball (the sample itself, or one found by the
 *           SLIDE attack, src/attack/slide.ts) that the ONNX model, run by
 *           onnxruntime in float32, classifies otherwise; the point is a
 *           float32 vector checked to lie in the ball and the clip box exactly;
 *   unknown otherwise (no branching yet).
 */
import type { LayeredNet } from '../network/layered.js';
import { foldOutputRows } from '../network/layered.js';
import { ReferenceModel } from '../onnx/reference.js';
import { readOnnxBytes } from '../onnx/load.js';
import { slideAttack } from '../attack/slide.js';
import { exactL1Leq } from '../util/dyadic.js';
import { boundingBox, l1Ball } from '../problem/input-set.js';
import { batchErrorScale, rowMargins } from '../problem/rounding.js';
import { simplexVerify } from '../bounds/simplex/simplex-verify.js';
import { UsageError } from '../cli/errors.js';
import type { Sample } from './samples.js';
import { gateReport, type GatePropertyResult, type GateReport } from './gate.js';

export interface L1GateOptions {
  readonly eps: number;
  readonly clipMin?: number;
  readonly clipMax?: number;
  readonly threshold: number;
  /** Seconds per sample for Simplex Verify's optimisation (its intermediate bounds always finish). */
  readonly timeout: number;
  readonly onnx: string;
  readonly signal?: AbortSignal;
  readonly onResult?: (r: GatePropertyResult, index: number) => void;
}

/** Rows Y_c - Y_j for j != c, folded into the network's last layer. */
function robustnessRows(net: LayeredNet, label: number): LayeredNet {
  const m = net.outputDim;
  if (m < 2) throw new UsageError('local robustness needs a network with at least 2 outputs');
  if (!(label >= 0 && label < m)) throw new UsageError(`label ${label} is not an output index of the network (0..${m - 1})`);
  const C = new Float64Array((m - 1) * m);
  for (let j = 0, r = 0; j < m; j++) {
    if (j === label) continue;
    C[r * m + label] = 1;
    C[r * m + j] = -1;
    r++;
  }
  return foldOutputRows(net, C, new Float64Array(m - 1));
}

/**
 * The point as the model sees it (float32), if it lies in the ball and the
 * clip box exactly and onnxruntime's outputs put some Y_j (j != label) at or
 * above Y_label.
 */
async function confirmed(reference: ReferenceModel, x: Float64Array, x0: Float64Array, eps: number, clip: { lower: Float64Array; upper: Float64Array } | undefined, label: number): Promise<Float64Array | null> {
  const p = Float64Array.from(x, Math.fround);
  if (!exactL1Leq(p, x0, eps)) return null;
  if (clip && p.some((v, i) => v < clip.lower[i] || v > clip.upper[i])) return null;
  const y = await reference.run(p);
  return y.some((v, j) => j !== label && v >= y[label]) ? p : null;
}

export async function checkL1Sample(net: LayeredNet, s: Sample, o: L1GateOptions, reference: ReferenceModel): Promise<{ result: 'unsat' | 'sat' | 'unknown'; message?: string }> {
  if (s.input.length !== net.inputDim) throw new UsageError(`samples line ${s.line}: ${s.input.length} input values, the network has ${net.inputDim} inputs`);
  const x0 = Float64Array.from(s.input);
  const n = x0.length;
  const clip =
    o.clipMin !== undefined || o.clipMax !== undefined
      ? { lower: new Float64Array(n).fill(o.clipMin ?? -Infinity), upper: new Float64Array(n).fill(o.clipMax ?? Infinity) }
      : undefined;
  let set;
  try {
    set = l1Ball(x0, o.eps, clip);
  } catch (e) {
    throw new UsageError(`samples line ${s.line}: ${(e as Error).message}`);
  }
  const folded = robustnessRows(net, s.label);
  const box = boundingBox(set);
  const margin = rowMargins(batchErrorScale(folded, box.lower, box.upper, 1));
  const deadline = performance.now() + 1000 * o.timeout;
  if (await confirmed(reference, x0, x0, o.eps, clip, s.label)) return { result: 'sat', message: 'the sample itself is misclassified' };
  const res = await simplexVerify().bound(folded, { size: 1, lower: box.lower, upper: box.upper, inputSets: [set] }, { deadline });
  let worst = Infinity;
  for (let r = 0; r < margin.length; r++) worst = Math.min(worst, res.rowLower[r] - margin[r]);
  if (worst > 0) return { result: 'unsat' };
  // Not proved: look for a counterexample in the ball, a little inside it so that float32 rounding keeps it there.
  const found = await slideAttack(folded, x0, { eps: o.eps * (1 - 1e-6), clip, deadline: Math.max(deadline, performance.now() + 1000) });
  if (found.value <= 0 && (await confirmed(reference, found.x, x0, o.eps, clip, s.label))) {
    return { result: 'sat', message: `SLIDE found a misclassified point (margin ${found.value.toPrecision(4)} in float64)` };
  }
  return { result: 'unknown', message: `lowest margin bound ${worst.toPrecision(4)}, attack best ${found.value.toPrecision(4)}` };
}

/** Every sample in order; `aborted` when the signal stopped it early. */
export async function runL1Gate(net: LayeredNet, samples: readonly Sample[], o: L1GateOptions): Promise<{ report: GateReport; aborted: boolean }> {
  const results: GatePropertyResult[] = [];
  const width = String(Math.max(0, samples.length - 1)).length;
  const reference = await ReferenceModel.create(readOnnxBytes(o.onnx), o.onnx);
  try {
  for (const [i, s] of samples.entries()) {
    if (o.signal?.aborted) return { report: gateReport(results, o.threshold), aborted: true };
    const t0 = performance.now();
    const { result, message } = await checkL1Sample(net, s, o, reference);
    const r: GatePropertyResult = {
      name: `sample_${String(s.index).padStart(width, '0')}`,
      onnx: o.onnx,
      vnnlib: '',
      timeout: o.timeout,
      label: s.label,
      samplesLine: s.line,
      result,
      verified: result === 'unsat',
      seconds: Math.round(performance.now() - t0) / 1000,
      ...(message ? { message } : {}),
    };
    results.push(r);
    o.onResult?.(r, i);
  }
  } finally {
    await reference.release();
  }
  return { report: gateReport(results, o.threshold), aborted: false };
}
