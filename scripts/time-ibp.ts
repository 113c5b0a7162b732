/**
 * Lowering time and the time of one IBP pass on a benchmark network, over
 * the box of a VNN-LIB property (its first region): a measurement of the
 * sparse layers' cost, not an optimisation.
 *
 *   node dist/scripts/time-ibp.js <model.onnx> <property.vnnlib> [repeats]
 */
import { readOnnx } from '../src/onnx/index.js';
import { readVnnlib } from '../src/vnnlib/index.js';
import { lowerToLayered } from '../src/network/lower.js';
import { ibp } from '../src/bounds/index.js';

async function main(): Promise<void> {
  const [model, prop, reps = '3'] = process.argv.slice(2);
  if (!model || !prop) {
    console.error('usage: time-ibp <model.onnx> <property.vnnlib> [repeats]');
    process.exit(2);
  }
  const t0 = performance.now();
  const net = lowerToLayered(readOnnx(model));
  const lowerMs = performance.now() - t0;
  const spec = readVnnlib(prop);
  const { lower, upper } = spec.regions[0];
  if (lower.length !== net.inputDim) throw new Error(`the property has ${lower.length} inputs, the network ${net.inputDim}`);
  const nnz = net.layers.reduce((s, l) => s + (l.csr ? l.csr.val.length : l.inDim * l.outDim), 0);
  const sparse = net.layers.filter((l) => l.csr).length;
  console.log(`${model}: lowered in ${lowerMs.toFixed(0)} ms; ${net.layers.length} layers (${sparse} sparse), ${nnz} stored weights`);
  const times: number[] = [];
  let out: Float64Array | undefined;
  for (let r = 0; r < Number(reps); r++) {
    const t = performance.now();
    const res = await ibp.bound(net, { size: 1, lower, upper });
    times.push(performance.now() - t);
    out = res.preLower[res.preLower.length - 1];
  }
  console.log(`IBP, one box: ${times.map((t) => t.toFixed(0)).join(', ')} ms (first includes the per-layer transposes); last layer lower[0] = ${out?.[0]}`);
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
