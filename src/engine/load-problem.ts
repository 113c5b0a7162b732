/**
 * Both input files read, checked and compiled: everything before onnxruntime
 * sees the model. Plain TypeScript; scripts/input-fuzz.ts runs this same path
 * on malformed files. Input errors propagate as exceptions (src/cli/errors.ts
 * tells them from bugs).
 */
import type { Graph } from '../ir/graph.js';
import type { LayeredNet } from '../network/layered.js';
import { lowerToLayered } from '../network/lower.js';
import { loadOnnx, readOnnxBytes } from '../onnx/load.js';
import { compileProblem } from '../problem/compile.js';
import type { CanonicalProblem } from '../problem/types.js';
import { readVnnlib } from '../vnnlib/parse.js';
import type { Spec } from '../vnnlib/types.js';

export interface LoadedProblem {
  readonly bytes: Uint8Array;
  readonly graph: Graph;
  readonly net: LayeredNet;
  readonly spec: Spec;
  readonly problem: CanonicalProblem;
}

export function loadProblem(onnxPath: string, vnnlibPath: string): LoadedProblem {
  const bytes = readOnnxBytes(onnxPath);
  const graph = loadOnnx(bytes, onnxPath);
  const net = lowerToLayered(graph);
  const spec = readVnnlib(vnnlibPath);
  const problem = compileProblem(net, spec);
  return { bytes, graph, net, spec, problem };
}
