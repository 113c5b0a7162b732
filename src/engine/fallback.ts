/**
 * Networks the bounders cannot take (src/engine/load-problem.ts:
 * `unlowerable`): no bound, so never `unsat`; a black-box search on the
 * original model (src/attack/black-box.ts) answers `sat` with a checked
 * counterexample, otherwise `unknown` naming why.
 */
import type { Logger } from 'pino';
import { blackBoxSearch, type BlackBoxResult } from '../attack/black-box.js';
import { toFloat32Point } from '../attack/float32.js';
import type { CounterexampleChecker } from '../attack/validate.js';
import { numel, type Graph } from '../ir/graph.js';
import { batchedModel } from '../onnx/batched.js';
import type { ReferenceModel } from '../onnx/reference.js';
import { comparesOutputsOnly } from '../problem/output-comparisons.js';
import type { Outcome } from '../report/verdict.js';
import type { Spec } from '../vnnlib/types.js';
import type { EngineOptions } from './options.js';

/** A black-box search on the original model until `deadline`; the raw result, for the two callers below. */
export async function searchOriginalModel(
  bytes: Uint8Array,
  graph: Graph,
  spec: Spec,
  reference: ReferenceModel,
  checker: CounterexampleChecker,
  options: Pick<EngineOptions, 'seed' | 'strictBox'> & { readonly deadline: number },
  log: Logger,
): Promise<BlackBoxResult> {
  const t0 = performance.now();
  // Region centres (float32 points in the box) tell whether a batched session agrees with the model.
  const probes = spec.regions
    .slice(0, 2)
    .map((r) => toFloat32Point(r.lower.map((l, i) => 0.5 * (l + r.upper[i])), r.lower, r.upper, false)?.x)
    .filter((x): x is Float64Array => x !== undefined);
  let valuesPerPoint = 0;
  for (const [name, shape] of graph.shapes) if (!graph.constants.has(name)) valuesPerPoint += numel(shape);
  const model = await batchedModel(bytes, reference, probes, { logitsSuffice: comparesOutputsOnly(spec), valuesPerPoint });
  try {
    const r = await blackBoxSearch(spec.regions, model, (region, x) => checker.check(region, x), {
      deadline: options.deadline,
      seed: options.seed,
      strictBox: options.strictBox,
    });
    const ms = Math.round(performance.now() - t0);
    log.info({ evaluations: r.evaluations, pointsPerCall: model.maxBatch, logits: model.logits, best: r.best, rejected: r.rejected, ms, found: r.counterexample !== null }, 'black-box search');
    return r;
  } finally {
    await model.release();
  }
}

export async function solveUnlowerable(
  bytes: Uint8Array,
  graph: Graph,
  spec: Spec,
  reason: string,
  reference: ReferenceModel,
  checker: CounterexampleChecker,
  options: EngineOptions,
  log: Logger,
): Promise<Outcome> {
  log.warn({ reason }, 'network not lowerable: searching for a counterexample on the original model only (the answer cannot be unsat)');
  const r = await searchOriginalModel(bytes, graph, spec, reference, checker, options, log);
  if (r.counterexample) return { verdict: 'sat', counterexample: r.counterexample };
  const what =
    spec.regions.length === 0
      ? 'the property has no input region to search'
      : r.emptyRegions === spec.regions.length
        ? 'no input region holds a float32 point the counterexample policy accepts'
        : `black-box search found no counterexample in ${r.evaluations} evaluations (lowest objective ${r.best.toPrecision(4)})`;
  return { verdict: 'unknown', reason: `network not lowerable: ${reason}; ${what}` };
}
