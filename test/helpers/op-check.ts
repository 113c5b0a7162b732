/**
 * Checks of one small ONNX model for the op tests (test/ops/): the IR
 * evaluator against onnxruntime, and the lowered LayeredNet against the
 * evaluator, on seeded random inputs.
 */
import assert from 'node:assert/strict';
import { loadOnnx, ReferenceModel } from '../../src/onnx/index.js';
import { evaluateGraph } from '../../src/ir/evaluate.js';
import { numel, type Graph } from '../../src/ir/graph.js';
import { lowerToLayered } from '../../src/network/lower.js';
import { forward, type LayeredNet } from '../../src/network/layered.js';
import { mulberry32, uniform } from './random-onnx.js';

export function maxRelErr(a: Float64Array, b: Float64Array): number {
  assert.equal(a.length, b.length, 'output lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

export interface OpCheck {
  readonly graph: Graph;
  readonly net?: LayeredNet;
  /** Largest evaluator error against onnxruntime, and of the lowered net against the evaluator. */
  readonly evalErr: number;
  readonly lowerErr: number;
}

/**
 * Evaluator vs onnxruntime (< 1e-5 relative) and, unless lower is false,
 * lowered net vs evaluator (< 1e-9), on `samples` inputs uniform in [lo, hi].
 */
export async function checkOp(
  bytes: Uint8Array,
  name: string,
  opts: { lower?: boolean; samples?: number; seed?: number; lo?: number; hi?: number } = {},
): Promise<OpCheck> {
  const graph = loadOnnx(bytes, name);
  const net = opts.lower === false ? undefined : lowerToLayered(graph);
  const ref = await ReferenceModel.create(bytes, name);
  const rng = mulberry32(opts.seed ?? 11);
  const n = numel(graph.inputs[0].shape);
  let evalErr = 0;
  let lowerErr = 0;
  try {
    for (let s = 0; s < (opts.samples ?? 5); s++) {
      const x = uniform(rng, n, opts.lo ?? -1, opts.hi ?? 1);
      const r = await ref.run(x);
      const y = evaluateGraph(graph, x);
      const e = maxRelErr(y, r);
      evalErr = Math.max(evalErr, e);
      assert.ok(e < 1e-5, `${name}: evaluator rel error ${e} against onnxruntime`);
      if (net) {
        const l = maxRelErr(forward(net, x), y);
        lowerErr = Math.max(lowerErr, l);
        assert.ok(l < 1e-9, `${name}: lowered net rel error ${l} against the evaluator`);
      }
    }
  } finally {
    await ref.release();
  }
  return { graph, net, evalErr, lowerErr };
}

export const rnd = (seed: number, n: number, lo = -1, hi = 1): Float64Array => uniform(mulberry32(seed), n, lo, hi);
