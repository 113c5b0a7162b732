/**
 * Quick check of one VNN-COMP instance, for prepare_instance.sh: the ONNX model loads and lowers,
 * the VNN-LIB property parses, and the two agree on the numbers of inputs and outputs.
 *
 *   node dist/scripts/vnncomp/check-instance.js <onnx> <vnnlib>
 *
 * Exit 0 and "ok ..." on stdout, or exit 2 with the error on stderr.
 */
import { readOnnx } from '../../src/onnx/load.js';
import { lowerToLayered } from '../../src/network/lower.js';
import { readVnnlib } from '../../src/vnnlib/parse.js';
import { compileProblem } from '../../src/problem/compile.js';

const [onnx, vnnlib] = process.argv.slice(2);
if (!onnx || !vnnlib) {
  process.stderr.write('usage: check-instance <onnx> <vnnlib>\n');
  process.exit(2);
}
try {
  const t0 = performance.now();
  const net = lowerToLayered(readOnnx(onnx));
  const problem = compileProblem(net, readVnnlib(vnnlib));
  const ms = Math.round(performance.now() - t0);
  process.stdout.write(`ok: ${net.inputDim} inputs, ${net.outputDim} outputs, ${net.layers.length} layers, ${problem.boxes.length} input box(es), checked in ${ms} ms\n`);
} catch (e) {
  process.stderr.write(`check-instance: ${(e as Error).message}\n`);
  process.exit(2);
}
