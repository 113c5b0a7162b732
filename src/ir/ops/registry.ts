/**
 * Every ONNX op the verifier knows, by op type. Shape inference
 * (src/onnx/shapes.ts), evaluation (src/ir/evaluate.ts) and lowering
 * (src/network/lower.ts) all dispatch through `opModule`. Adding an op: a
 * file in this folder exporting an OpModule (op.ts), its test in test/ops/,
 * and one line in MODULES below.
 */
import type { OpModule } from './op.js';
import { activationOps } from './activation.js';
import { binary } from './binary.js';
import { batchNorm } from './batch-norm.js';
import { cast } from './cast.js';
import { constant } from './constant.js';
import { conv } from './conv.js';
import { convTranspose } from './conv-transpose.js';
import { gemm } from './gemm.js';
import { matmul } from './matmul.js';
import { averagePool } from './average-pool.js';
import { maxPool } from './max-pool.js';
import { movement } from './movement.js';
import { pad } from './pad.js';
import { pow } from './pow.js';
import { reduce } from './reduce.js';
import { reshape } from './reshape.js';
import { resize } from './resize.js';
import { shapeOp } from './shape.js';
import { softmax } from './softmax.js';
import { split } from './split.js';
import { unary } from './unary.js';

const MODULES: readonly OpModule[] = [
  activationOps, unary, binary, pow, cast, constant, shapeOp,
  reshape, movement, split, pad,
  gemm, matmul, conv, convTranspose, batchNorm,
  averagePool, maxPool, resize, reduce, softmax,
];

const BY_OP: ReadonlyMap<string, OpModule> = (() => {
  const m = new Map<string, OpModule>();
  for (const mod of MODULES) {
    for (const op of mod.ops) {
      if (m.has(op)) throw new Error(`internal: op ${op} registered twice`);
      m.set(op, mod);
    }
  }
  return m;
})();

export const SUPPORTED_OPS: ReadonlySet<string> = new Set(BY_OP.keys());

/** The module handling `op`, or undefined for an op the verifier does not know. */
export function opModule(op: string): OpModule | undefined {
  return BY_OP.get(op);
}
