/**
 * ℓ1 robustness for `verify gate --norm l1` (issue 16): per sample x with
 * label c, is some input with ‖x' - x‖_1 <= eps (clipped to [clipMin,
 * clipMax]) classified otherwise (Y_j >= Y_c for some j != c)?
 *
 * The ball is not a box, so it cannot go through a VNN-LIB file to a
 * `verify` child process as the ℓ∞ gate does; each sample is bounded in
 * this process by Simplex Verify over the ball (src/bounds/simplex/):
 *   unsat   every row Y_c - Y_j has a lower bound above its rounding margin;
 *   sat     the sample itself violates a row by more than its margin;
 *   unknown otherwise (incomplete: no attack and no branching yet).
 */
import type { LayeredNet } from '../network/layered.js';
import { foldOutputRows, forward } from '../network/layered.js';
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

export async function checkL1Sample(net: LayeredNet, s: Sample, o: L1GateOptions): Promise<{ result: 'unsat' | 'sat' | 'unknown'; message?: string }> {
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
  const y = forward(folded, x0);
  for (let r = 0; r < margin.length; r++) {
    if (y[r] <= -margin[r]) return { result: 'sat', message: 'the sample itself is misclassified' };
  }
  const res = await simplexVerify().bound(folded, { size: 1, lower: box.lower, upper: box.upper, inputSets: [set] }, { deadline: performance.now() + 1000 * o.timeout });
  let worst = Infinity;
  for (let r = 0; r < margin.length; r++) worst = Math.min(worst, res.rowLower[r] - margin[r]);
  return worst > 0 ? { result: 'unsat' } : { result: 'unknown', message: `lowest margin bound ${worst.toPrecision(4)}` };
}

/** Every sample in order; `aborted` when the signal stopped it early. */
export async function runL1Gate(net: LayeredNet, samples: readonly Sample[], o: L1GateOptions): Promise<{ report: GateReport; aborted: boolean }> {
  const results: GatePropertyResult[] = [];
  const width = String(Math.max(0, samples.length - 1)).length;
  for (const [i, s] of samples.entries()) {
    if (o.signal?.aborted) return { report: gateReport(results, o.threshold), aborted: true };
    const t0 = performance.now();
    const { result, message } = await checkL1Sample(net, s, o);
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
  return { report: gateReport(results, o.threshold), aborted: false };
}
