/**
 * What the root's optimised intermediate bounds (src/bounds/root-intermediates.ts), then neurons proved stable by
 * searches of their own (src/bab/refine/), buy on one instance: ambiguous ReLUs per hidden layer and the output
 * rows' alpha-CROWN bounds before and after, with the time each step took. Branch and bound gives the first a
 * tenth of the remaining time; this gives it `seconds` (default 600), and the neuron searches `neuronSeconds`
 * each (default 2; 0 skips them) on `threads` threads (default 2); `gainOrderShare` is RefineOptions' (default 0.5;
 * `inf` never searches a layer in the order of its neurons' gains).
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/root-refine.js <net.onnx> <prop.vnnlib> [seconds] [neuronSeconds] [threads] [gainOrderShare]
 */
import { alphaCrown } from '../src/bounds/alpha.js';
import { crown } from '../src/bounds/crown.js';
import { ambiguousPerLayer, optimisedIntermediates } from '../src/bounds/root-intermediates.js';
import { loadProblem } from '../src/engine/load-problem.js';
import { refineNeurons } from '../src/bab/refine/refine-neurons.js';

const ambiguous = (preLower: Float64Array[], preUpper: Float64Array[]): string => ambiguousPerLayer({ preLower, preUpper }).join(' ');
const rows = (a: Float64Array): string => Array.from(a, (v) => v.toFixed(3)).join(' ');

async function main(): Promise<void> {
  const [onnx, vnnlib, seconds, neuronSeconds, threads, gainOrderShare] = process.argv.slice(2);
  if (!onnx || !vnnlib) throw new Error('usage: root-refine <net.onnx> <prop.vnnlib> [seconds]');
  const loaded = loadProblem(onnx, vnnlib);
  if (loaded.kind !== 'lowered') throw new Error(`${onnx}: ${loaded.reason}`);
  const { net, lower, upper } = loaded.problem.boxes[0];
  let t0 = performance.now();
  const first = await crown().bound(net, { size: 1, lower, upper });
  console.log(`CROWN ${(performance.now() - t0).toFixed(0)} ms; ambiguous per layer ${ambiguous(first.preLower, first.preUpper)}`);
  t0 = performance.now();
  const before = await alphaCrown().bound(net, { size: 1, lower, upper });
  console.log(`alpha-CROWN ${(performance.now() - t0).toFixed(0)} ms; rows ${rows(before.rowLower)}`);
  t0 = performance.now();
  const refined = await optimisedIntermediates(net, lower, upper, performance.now() + 1000 * Number(seconds ?? 600), first);
  if (!refined) throw new Error('not a ReLU network with two hidden layers or more');
  console.log(`refinement ${(performance.now() - t0).toFixed(0)} ms; ambiguous per layer ${ambiguous(refined.preLower, refined.preUpper)}`);
  t0 = performance.now();
  const after = await alphaCrown().bound(net, { size: 1, lower, upper, preLower: refined.preLower, preUpper: refined.preUpper });
  console.log(`alpha-CROWN after ${(performance.now() - t0).toFixed(0)} ms; rows ${rows(after.rowLower)}`);
  const perNeuron = Number(neuronSeconds ?? 2);
  if (!(perNeuron > 0)) return;
  t0 = performance.now();
  const searched = await refineNeurons(net, lower, upper, refined, {
    deadline: performance.now() + 1000 * Number(seconds ?? 600),
    perNeuronSeconds: perNeuron,
    threads: Number(threads ?? 2),
    slopes: refined.slopes,
    gainOrderShare: gainOrderShare === undefined ? undefined : gainOrderShare === 'inf' ? Infinity : Number(gainOrderShare),
  });
  console.log(`neuron searches ${(performance.now() - t0).toFixed(0)} ms; ${JSON.stringify(searched.stats)}; ambiguous per layer ${ambiguous(searched.pre.preLower, searched.pre.preUpper)}`);
  t0 = performance.now();
  const last = await alphaCrown().bound(net, { size: 1, lower, upper, preLower: searched.pre.preLower, preUpper: searched.pre.preUpper });
  console.log(`alpha-CROWN after the searches ${(performance.now() - t0).toFixed(0)} ms; rows ${rows(last.rowLower)}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
