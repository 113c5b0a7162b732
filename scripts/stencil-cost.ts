/**
 * Checks the cost model that picks a layer product's form (src/network/linear.ts: stencil, CSR or dense):
 * times the stencil and the plain form of every stencil layer of a network at several row counts and prints
 * which the model picks and which was faster. Run it with the machine as loaded as in a search (both cores
 * busy) to refit the rates.
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/stencil-cost.js <net.onnx> <prop.vnnlib> [rows,...]
 */
import { loadProblem } from '../src/engine/load-problem.js';
import { layerStencil, productForm } from '../src/network/linear.js';
import { stencilBackward } from '../src/tensor/stencil.js';
import { csrOf, denseTimesCsr, matmul } from '../src/tensor/matmul.js';

async function msPerCall(f: () => unknown, reps = 5): Promise<number> {
  await f();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await f();
  return (performance.now() - t0) / reps;
}

async function main(): Promise<void> {
  const [onnx, vnnlib, rowsArg] = process.argv.slice(2);
  if (!onnx || !vnnlib) throw new Error('usage: stencil-cost <net.onnx> <prop.vnnlib> [rows,...]');
  const rowCounts = (rowsArg ?? '1,8,36,85,200').split(',').map(Number);
  const loaded = loadProblem(onnx, vnnlib);
  if (loaded.kind !== 'lowered') throw new Error(`${onnx}: ${loaded.reason}`);
  let right = 0;
  let total = 0;
  for (const [k, layer] of loaded.net.layers.entries()) {
    const st = layerStencil(layer);
    if (!st) continue;
    console.log(`layer ${k} ${layer.inDim}->${layer.outDim}: ${st.classes.length} classes, blockMacs ${st.blockMacs} (${st.classes.filter((c) => c.im2col).length} classes in im2col form), rest ${st.restNnz}`);
    const csr = layer.csr ?? csrOf(layer.W, layer.outDim, layer.inDim);
    for (const R of rowCounts) {
      const G = new Float64Array(R * layer.outDim).map((_, i) => Math.sin(i));
      const stencilMs = await msPerCall(() => stencilBackward(st, G, R));
      const denseMs = layer.csr ? Infinity : await msPerCall(() => matmul(G, layer.W, R, layer.outDim, layer.inDim));
      const csrMs = csr ? await msPerCall(() => denseTimesCsr(G, csr, R, layer.outDim, layer.inDim)) : Infinity;
      const times = { stencil: stencilMs, dense: denseMs, csr: csrMs };
      const picked = productForm(layer, R);
      const best = (Object.keys(times) as (keyof typeof times)[]).reduce((a, b) => (times[b] < times[a] ? b : a));
      total++;
      if (picked === best || times[picked] <= 1.1 * times[best]) right++;
      const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '-');
      console.log(`  R=${String(R).padEnd(4)} stencil ${fmt(stencilMs)} ms, dense ${fmt(denseMs)} ms, csr ${fmt(csrMs)} ms; picked ${picked}, fastest ${best}`);
    }
  }
  console.log(`picked the fastest form (or within 10% of it): ${right} of ${total}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
