/**
 * Both input files read, checked and compiled: everything before onnxruntime
 * sees the model. Plain TypeScript; scripts/input-fuzz.ts runs this same path
 * on malformed files. Input errors propagate as exceptions (src/cli/errors.ts
 * tells them from bugs).
 *
 * A network that is not piecewise linear where the property leaves it free
 * (a product of two network values, ...) may become so once the inputs the
 * property fixes are constants (masks): it is then lowered once per input
 * region, with that region's fixed inputs.
 *
 * A well-formed network that the bounders still cannot take (an op that is
 * neither affine nor an activation, a layer too large to materialise) is not
 * an input error: it loads as `unlowerable`, with the reason, and the engine
 * searches it for a counterexample on the original model alone
 * (src/engine/fallback.ts).
 */
import { numel, type Graph } from '../ir/graph.js';
import { withoutFinalSoftmax } from '../ir/final-softmax.js';
import { TooLargeError } from '../network/affine-map.js';
import type { LayeredNet } from '../network/layered.js';
import { OnnxError } from '../onnx/errors.js';
import { lowerToLayered, type LowerOptions } from '../network/lower.js';
import { loadOnnx, readOnnxBytes } from '../onnx/load.js';
import { compileProblem, ProblemError } from '../problem/compile.js';
import { comparesOutputsOnly } from '../problem/output-comparisons.js';
import type { CanonicalBox, CanonicalProblem } from '../problem/types.js';
import { readVnnlib } from '../vnnlib/parse.js';
import { regionInputSet } from '../vnnlib/input-set.js';
import { VnnlibError, type Spec } from '../vnnlib/types.js';
import type { SimplexSet } from '../problem/input-set.js';

interface LoadedFiles {
  readonly bytes: Uint8Array;
  /** The graph as loaded (the original model's semantics). */
  readonly graph: Graph;
  readonly spec: Spec;
  /** Graph transforms applied before lowering, one line each, for the log. */
  readonly transforms: readonly string[];
}

export interface LoweredProblem extends LoadedFiles {
  readonly kind: 'lowered';
  readonly net: LayeredNet;
  readonly problem: CanonicalProblem;
}

export interface UnlowerableProblem extends LoadedFiles {
  readonly kind: 'unlowerable';
  /** Why the bounders cannot take the network (one line). */
  readonly reason: string;
}

export type LoadedProblem = LoweredProblem | UnlowerableProblem;

export function loadProblem(onnxPath: string, vnnlibPath: string): LoadedProblem {
  const bytes = readOnnxBytes(onnxPath);
  const graph = loadOnnx(bytes, onnxPath);
  // Constraints over several inputs are read too: a region they cut to a simplex gets its input set (withInputSets).
  const spec = readVnnlib(vnnlibPath, { linearInputs: true });
  const { graph: lowerable, transforms } = graphForBounds(graph, spec);
  const lowered = lowerOrReason(lowerable);
  if ('reason' in lowered) {
    checkDimensions(graph, spec);
    const perRegion = lowerPerRegion(lowerable, spec);
    if (perRegion) {
      transforms.push(`lowered per input region with the inputs the property fixes as constants (${perRegion.fixed} fixed); without them: ${lowered.reason}`);
      return { kind: 'lowered', bytes, graph, spec, transforms, net: perRegion.problem.base, problem: withInputSets(perRegion.problem, spec) };
    }
    if (spec.regions.some((r) => r.inequalities?.length)) {
      throw new ProblemError(`${spec.file}: constraints over several inputs need a network the bounders can take (${lowered.reason})`);
    }
    return { kind: 'unlowerable', bytes, graph, spec, transforms, reason: lowered.reason };
  }
  const problem = withInputSets(compileProblem(lowered.net, spec), spec);
  return { kind: 'lowered', bytes, graph, spec, transforms, net: lowered.net, problem };
}

/**
 * Regions cut by constraints over several inputs: their constraints, and the
 * simplex when one constraint cuts a corner of the box (src/vnnlib/input-set.ts);
 * any other set of constraints is a general polytope inside the box. The box
 * stays the region's bounding box for every bound.
 */
function withInputSets(problem: CanonicalProblem, spec: Spec): CanonicalProblem {
  if (!spec.regions.some((r) => r.inequalities?.length)) return problem;
  return {
    ...problem,
    boxes: problem.boxes.map((box) => {
      const region = spec.regions[box.index];
      const cuts = region.inequalities ?? [];
      if (cuts.length === 0) return box;
      let inputSet: SimplexSet | undefined;
      if (cuts.length === 1) {
        try {
          const set = regionInputSet(region);
          if (set.kind === 'simplex') inputSet = set;
        } catch (e) {
          // Not a corner cut: a general polytope.
          if (!(e instanceof VnnlibError)) throw e;
        }
      }
      return { ...box, inputCuts: cuts, inputSet, cutInterior: inputSet?.x0 };
    }),
  };
}

/**
 * The graph the bounders see: the loaded one, less what the property cannot
 * tell apart. A final Softmax is dropped where every output atom compares two
 * outputs (src/ir/final-softmax.ts); otherwise it stays, and lowering refuses it.
 */
export function graphForBounds(graph: Graph, spec: Spec): { graph: Graph; transforms: string[] } {
  const transforms: string[] = [];
  if (!comparesOutputsOnly(spec)) return { graph, transforms };
  const t = withoutFinalSoftmax(graph);
  if (!t) return { graph, transforms };
  transforms.push(`final Softmax '${t.node.name}' dropped: every output atom compares two outputs, which softmax preserves`);
  return { graph: t.graph, transforms };
}

/**
 * The LayeredNet, or why the bounders cannot take this well-formed network.
 * Malformed input (no single real input, weights that overflow when composed)
 * stays an error.
 */
function lowerOrReason(graph: Graph, options: LowerOptions = {}): { net: LayeredNet } | { reason: string } {
  try {
    return { net: lowerToLayered(graph, options) };
  } catch (e) {
    // lowerToLayered names the node for every failure of a node's lowering, and only then.
    if (e instanceof OnnxError && e.node !== undefined && /cannot lower to a layered network/.test(e.message)) return { reason: e.message };
    if (e instanceof TooLargeError) return { reason: new OnnxError(graph.source, undefined, e.message).message };
    throw e;
  }
}

/**
 * One network per input region, lowered with the region's fixed inputs
 * (lower == upper) as constants, compiled region by region; undefined when
 * some region has no fixed input or still does not lower.
 */
function lowerPerRegion(graph: Graph, spec: Spec): { problem: CanonicalProblem; fixed: number } | undefined {
  const boxes: CanonicalBox[] = [];
  let base: LayeredNet | undefined;
  let fixedCount = 0;
  for (const [index, region] of spec.regions.entries()) {
    const fixed = new Map<number, number>();
    for (let i = 0; i < region.lower.length; i++) if (region.lower[i] === region.upper[i]) fixed.set(i, region.lower[i]);
    if (fixed.size === 0) return undefined;
    fixedCount = Math.max(fixedCount, fixed.size);
    const lowered = lowerOrReason(graph, { fixedInputs: fixed });
    if ('reason' in lowered) return undefined;
    base ??= lowered.net;
    const one = compileProblem(lowered.net, { ...spec, regions: [region] });
    boxes.push({ ...one.boxes[0], index });
  }
  return base ? { problem: { base, boxes }, fixed: fixedCount } : undefined;
}

/** What compileProblem checks, on the graph: the spec's variables match the model's input and output sizes. */
function checkDimensions(graph: Graph, spec: Spec): void {
  if (graph.inputs.length !== 1) {
    throw new OnnxError(graph.source, undefined, `the model has ${graph.inputs.length} real inputs; verify takes models with exactly one`);
  }
  const nIn = numel(graph.inputs[0].shape);
  const out = graph.outputs[0];
  const nOut = numel(graph.shapes.get(out.name) ?? out.shape);
  if (spec.numInputs !== nIn) {
    throw new ProblemError(`${spec.file} declares ${spec.numInputs} inputs (X_i) but the network has ${nIn} input elements (shape [${graph.inputs[0].shape.join(',')}])`);
  }
  if (spec.numOutputs !== nOut) throw new ProblemError(`${spec.file} declares ${spec.numOutputs} outputs (Y_i) but the network has ${nOut}`);
}
